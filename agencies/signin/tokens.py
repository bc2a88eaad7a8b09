"""API tokens that expire `RTCC_TOKEN_HOURS` after they were issued."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from agencies.access import remember_membership
from agencies.signin.services import token_expires_at


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing (and deleting) a token past its hours.

    The token's user comes with their membership and agency in the same query: nearly every
    API request asks for them (the role check, the scoping), and a second round trip for them
    was a tenth of a near query's time.
    """

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user__membership__agency").get(key=key)
        except model.DoesNotExist:
            raise AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise AuthenticationFailed("This token has expired. Ask for a new one at /api/v1/auth/token/.")
        remember_membership(token.user, getattr(token.user, "membership", None))
        return token.user, token

"""API tokens that expire `RTCC_TOKEN_HOURS` after they were issued."""

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from agencies.signin.services import token_expires_at


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing (and deleting) a token past its hours."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expires_at(token) <= timezone.now():
            token.delete()
            raise AuthenticationFailed("This token has expired. Ask for a new one at /api/v1/auth/token/.")
        return user, token

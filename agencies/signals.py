from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from agencies.access import agency_of
from agencies.models import AccessEvent
from agencies.services import do_record_access


@receiver(user_login_failed)
def record_failed_sign_in(sender, credentials, request=None, **kwargs):
    """A failed sign-in is an audit line of the agency whose account was tried, if any."""
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    do_record_access(
        None,
        AccessEvent.Action.SIGN_IN_FAILED,
        agency=agency_of(user) if user else None,
        request=request,
        outcome=AccessEvent.Outcome.DENIED,
        detail={
            "username": username,
            **({"reason": credentials["reason"]} if "reason" in credentials else {}),
        },
    )

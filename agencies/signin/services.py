"""Side effects of signing in and out: second factor, tokens, ending access, lifting a lock."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from agencies.access import agency_of, has_role
from agencies.models import AccessEvent, Membership
from agencies.services import do_record_access
from agencies.signin import lockout
from agencies.signin.mfa import has_authenticator, matching_device, mfa_forced, mfa_required
from agencies.signin.sessions import end_sessions_of
from agencies.signin.sockets import close_sockets_of

CODE_MISSING = "This account signs in with the 6-digit code from its authenticator app: enter it too."
CODE_WRONG = "That authenticator code is not right (or was already used). Enter the current one."
BAD_CREDENTIALS = "Unable to log in with provided credentials."
ENROL_FIRST = (
    "This account must set up its authenticator app before it can have a token: "
    "sign in once at /accounts/login/ in a browser and scan the QR code."
)


class AccountLocked(Exception):
    """The account is locked out; the message says until when."""

    def __init__(self, username: str):
        self.until = lockout.locked_until(username) or timezone.now() + lockout.LOCK
        super().__init__(lockout.lockout_message(self.until))


def _record_wrong_code(request, user) -> None:
    # A wrong code counts like a wrong password: towards the lockout, and in the audit.
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "reason": "wrong authenticator code"},
        request=request,
    )


def check_second_factor(request, user, code: str) -> TOTPDevice | None:
    """The device that accepted `code`, None when the user needs no code yet; else ValidationError."""
    if not mfa_required(user) or not has_authenticator(user):
        return None
    if not (code or "").strip():
        raise ValidationError(CODE_MISSING, code="otp_missing")
    device = matching_device(user, code)
    if device is None:
        _record_wrong_code(request, user)
        if getattr(request, "axes_locked_out", False):
            raise AccountLocked(user.get_username())
        raise ValidationError(CODE_WRONG, code="otp_wrong")
    return device


def token_expires_at(token: Token) -> datetime:
    return token.created + timedelta(hours=settings.RTCC_TOKEN_HOURS)


def do_issue_token(request, *, username: str, password: str, otp: str = "") -> Token:
    """The API's sign-in: password and, for whoever has an authenticator, its code.

    `request` is Django's request (axes reads the client's address from it).
    """
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise AccountLocked(username)
        raise ValidationError(BAD_CREDENTIALS, code="authorization")
    if mfa_forced(user) and not has_authenticator(user):
        raise ValidationError(ENROL_FIRST, code="otp_enrol")
    check_second_factor(request, user, otp)
    with transaction.atomic():
        # One token per user: a fresh one once the old has expired, never one that outlives its hours.
        token = Token.objects.select_for_update().filter(user=user).first()
        if token is not None and token_expires_at(token) > timezone.now():
            return token
        if token is not None:
            token.delete()
        return Token.objects.create(user=user)


def do_end_access(user, *, reason: str, actor=None, request=None, audit: bool = False) -> None:
    """Delete every session and token of the user and close their sockets (within seconds)."""
    end_sessions_of(user.pk)
    Token.objects.filter(user_id=user.pk).delete()
    close_sockets_of(user.pk)
    if audit:
        do_record_access(
            actor,
            AccessEvent.Action.ACCOUNT_CHANGE,
            user,
            agency=agency_of(user) or (agency_of(actor) if actor is not None else None),
            request=request,
            detail={"change": "access_ended", "reason": reason},
        )


def check_may_manage(actor, user) -> None:
    """A superuser manages anyone; an agency admin the users of their own agency."""
    if getattr(actor, "is_superuser", False):
        return
    agency = agency_of(actor)
    if agency is None or not has_role(actor, Membership.Role.ADMIN) or agency_of(user) != agency:
        raise PermissionDenied("Only an admin of this user's agency can do this.")


def do_lift_lockout(actor, user, *, request=None) -> bool:
    """Lift the user's sign-in lock now; returns whether there was one. Audited either way."""
    check_may_manage(actor, user)
    was_locked = lockout.locked_until(user.get_username()) is not None
    lockout.lift(user.get_username())
    do_record_access(
        actor,
        AccessEvent.Action.ACCOUNT_CHANGE,
        user,
        request=request,
        detail={"change": "lockout_lifted", "was_locked": was_locked},
    )
    return was_locked


def do_confirm_authenticator(request, device: TOTPDevice, code: str) -> None:
    """Confirm the device being enrolled with its first code; the session counts as verified."""
    user = request.user
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied("This is not an authenticator you are enrolling.")
    if not device.verify_token((code or "").strip().replace(" ", "")):
        raise ValidationError(CODE_WRONG, code="otp_wrong")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        do_record_access(
            user,
            AccessEvent.Action.ACCOUNT_CHANGE,
            user,
            request=request,
            detail={"change": "authenticator_enrolled"},
        )
    otp_login(request, device)


def do_verify_session(request, code: str) -> None:
    """A signed-in session that has not given its code yet (one made before enrolment) gives it now."""
    device = check_second_factor(request, request.user, code)
    if device is not None:
        otp_login(request, device)

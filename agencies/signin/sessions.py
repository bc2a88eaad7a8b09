"""Sessions stored with their user, and the two limits every session lives under.

`SESSION_ENGINE` names this module. A session ends `RTCC_IDLE_MINUTES` after its last activity
(the idle lock) and `RTCC_SESSION_HOURS` after its sign-in (the absolute limit), whichever
comes first; the middleware enforces both on every request, the wall's socket re-checks them.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from agencies.models import UserSession

SIGNED_IN_AT = "rtcc_signed_in_at"
LAST_ACTIVE_AT = "rtcc_last_active_at"
# Activity is written at most this often, so that a busy page does not write its session on every request.
TOUCH_EVERY_S = 30


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = str(data.get(SESSION_KEY) or "")
        instance.user_id = int(user_id) if user_id.isdigit() else None
        return instance


def idle_seconds() -> int:
    return settings.RTCC_IDLE_MINUTES * 60


def session_hours() -> int:
    return settings.SESSION_COOKIE_AGE // 3600


def start(session, now: float | None = None) -> None:
    """Stamp a new sign-in: its absolute end is fixed now and never moves."""
    now = time.time() if now is None else now
    session[SIGNED_IN_AT] = now
    session[LAST_ACTIVE_AT] = now
    # A date, not a number of seconds: Django would count seconds from each save, and slide.
    session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))


def lapse(session, now: float | None = None) -> str | None:
    """Why the signed-in session has ended ("idle" or "expired"), or None while it holds."""
    now = time.time() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT)
    last_active_at = session.get(LAST_ACTIVE_AT, signed_in_at)
    if signed_in_at is None or now - signed_in_at >= settings.SESSION_COOKIE_AGE:
        return "expired"
    if now - last_active_at >= idle_seconds():
        return "idle"
    return None


def seconds_left(session, now: float | None = None) -> int:
    """Seconds until the idle lock or the absolute end, whichever comes first."""
    now = time.time() if now is None else now
    signed_in_at = session.get(SIGNED_IN_AT, now)
    last_active_at = session.get(LAST_ACTIVE_AT, signed_in_at)
    left = min(last_active_at + idle_seconds(), signed_in_at + settings.SESSION_COOKIE_AGE) - now
    return max(0, int(left))


def touch(session, now: float | None = None, *, every_s: int = TOUCH_EVERY_S) -> None:
    now = time.time() if now is None else now
    if now - session.get(LAST_ACTIVE_AT, 0) >= every_s:
        session[LAST_ACTIVE_AT] = now


def still_signed_in(session_key: str | None, user_id: int) -> bool:
    """Does this session still hold for this user: present, within its limits, password unchanged?

    For long-lived connections (the wall's socket), which see the session only when they open.
    """
    if not session_key:
        return False
    session = SessionStore(session_key)
    if str(session.get(SESSION_KEY)) != str(user_id) or lapse(session) is not None:
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user is not None and constant_time_compare(
        session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()
    )


def end_sessions_of(user_id: int) -> int:
    deleted, _ = UserSession.objects.filter(user_id=user_id).delete()
    return deleted

"""Account lockout (django-axes): 5 failed sign-ins within 15 minutes lock the account for 30.

Axes counts the failures of one username, whatever address they come from (an attacker has
many), on every path that signs in: the sign-in page (which the admin's login redirects to)
and the token endpoint. Axes keeps one row per failure (its access failure log); the lock is
read from those rows, so that the 15-minute window and the 30-minute lock are exactly that.
While locked, further tries are refused without checking the password and do not extend the
lock. An agency admin can lift it (`do_lift_lockout`), and the lift is audited.
"""

from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.utils import timezone

WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=30)


def lock_duration(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: how long a lock lasts."""
    return LOCK


def locked_until(username: str | None, now: datetime | None = None) -> datetime | None:
    """When the account's lock lifts, or None when it is not locked."""
    if not username:
        return None
    now = now or timezone.now()
    limit = settings.AXES_FAILURE_LIMIT
    times = list(
        AccessFailureLog.objects.filter(username=username, attempt_time__gt=now - WINDOW - LOCK)
        .order_by("attempt_time")
        .values_list("attempt_time", flat=True)
    )
    until = None
    for last in range(limit - 1, len(times)):
        if times[last] - times[last - limit + 1] <= WINDOW:
            until = times[last] + LOCK
    return until if until is not None and until > now else None


def lockout_message(until: datetime) -> str:
    local = timezone.localtime(until)
    return (
        f"This account is locked after {settings.AXES_FAILURE_LIMIT} failed sign-ins within "
        f"{int(WINDOW.total_seconds() // 60)} minutes. The lock lifts at {local:%H:%M} {local:%Z} "
        f"({int(LOCK.total_seconds() // 60)} minutes after the last failure); "
        "an agency admin can lift it sooner."
    )


def lift(username: str) -> int:
    """Forget the account's failures, which lifts its lock. The caller audits."""
    attempts, _ = AccessAttempt.objects.filter(username=username).delete()
    failures, _ = AccessFailureLog.objects.filter(username=username).delete()
    return attempts + failures


class WindowedLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the lock read from the failure log's own times."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        if locked_until(username, getattr(request, "axes_attempt_time", None)):
            return settings.AXES_FAILURE_LIMIT
        return 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # Axes counts before it logs this failure: the one that reaches the limit already locks.
        if request is not None and not getattr(request, "axes_locked_out", False):
            if locked_until(get_client_username(request, credentials)):
                request.axes_locked_out = True
                request.axes_credentials = credentials

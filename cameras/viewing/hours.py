"""Viewing hours: how long cameras were watched, from the sessions' own start and end.

A session still open counts up to now (or its expiry, if it lapsed before the job closed
it); a period clips every session to its window, so hours never count twice across periods.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.models import Agency
from cameras.viewing.models import ViewingSession


def session_end(session_end_at, expires_at, now: datetime.datetime) -> datetime.datetime:
    return session_end_at if session_end_at is not None else min(now, expires_at)


def sessions_in(
    agency: Agency, since: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> QuerySet:
    """The agency's sessions that overlap [since, until)."""
    sessions = ViewingSession.objects.filter(agency=agency)
    if until is not None:
        sessions = sessions.filter(started_at__lt=until)
    if since is not None:
        # Open sessions overlap any window that starts before now.
        sessions = sessions.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=since))
    return sessions


def hours_by(
    sessions: QuerySet,
    key: str,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> dict:
    """{value of `key` (a field path): (sessions, hours)} over the sessions, clipped to the window."""
    now = now or timezone.now()
    totals: dict = defaultdict(lambda: [0, 0.0])
    rows = sessions.values_list(key, "started_at", "ended_at", "expires_at")
    for value, started_at, ended_at, expires_at in rows:
        start = max(started_at, since) if since else started_at
        end = session_end(ended_at, expires_at, now)
        end = min(end, until) if until else end
        totals[value][0] += 1
        totals[value][1] += max((end - start).total_seconds(), 0.0) / 3600
    # Unrounded: sums of these stay exact; whoever shows them rounds once.
    return {value: (count, hours) for value, (count, hours) in totals.items()}


def ranked(totals: dict, labels: Iterable[tuple] = ()) -> list[dict]:
    """Rows for a table, most hours first: {"key", "label", "sessions", "hours"}."""
    names = dict(labels)
    rows = [
        {"key": key, "label": names.get(key, key), "sessions": count, "hours": round(hours, 2)}
        for key, (count, hours) in totals.items()
    ]
    return sorted(rows, key=lambda row: (-row["hours"], str(row["label"])))

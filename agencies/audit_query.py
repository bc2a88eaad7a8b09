"""Reading the audit trail: who may, which lines a filter selects, and the export anyone can verify.

Agencies knows no camera: a camera is a target like any other (`target_type` "camera").
"""

import datetime
import json
import zoneinfo
from collections.abc import Iterator, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from agencies.access import membership_of
from agencies.models import AccessEvent, Agency, AuditChain, Membership

# Oversight reads the trail it oversees; agency admins answer for it. Nobody else reads it.
AUDIT_ROLES = frozenset({Membership.Role.OVERSIGHT, Membership.Role.ADMIN})
FILTERS = ("since", "until", "camera", "user", "action", "case_number", "purpose", "incident", "outcome")


def check_audit_reader(user, agency_slug: str = "") -> Agency | None:
    """The agency whose trail `user` may read; a superuser picks one by slug (none: the global chain)."""
    if getattr(user, "is_superuser", False):
        if not agency_slug:
            return None
        agency = Agency.objects.filter(slug=agency_slug).first()
        if agency is None:
            raise ValidationError({"agency": f"No agency is called {agency_slug!r}."})
        return agency
    membership = membership_of(user)
    if membership is None or membership.role not in AUDIT_ROLES:
        raise PermissionDenied("The audit trail is for oversight and agency admins.")
    return membership.agency


def audit_events(agency: Agency | None) -> QuerySet:
    return AccessEvent.objects.filter(agency=agency).select_related("incident")


def _moment(name: str, text: str, *, end_of_day: bool = False) -> datetime.datetime:
    """An aware datetime; a bare day is its midnight, or the next midnight with `end_of_day`."""
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        moment = datetime.datetime.combine(day + datetime.timedelta(days=end_of_day), datetime.time())
    if moment is None:
        raise ValidationError({name: f"{text!r} is not an ISO 8601 date or date and time."})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _whole_number(name: str, text: str) -> int:
    if not text.isdigit():
        raise ValidationError({name: f"{text!r} is not a whole number (an id)."})
    return int(text)


def _choices(name: str, text: str, allowed) -> list[str]:
    values = [value.strip() for value in text.split(",") if value.strip()]
    unknown = [value for value in values if value not in allowed.values]
    if unknown or not values:
        raise ValidationError({name: f"{text!r} is not one of {', '.join(allowed.values)}."})
    return values


def _given(params: Mapping[str, str]) -> dict[str, str]:
    given = {name: (params.get(name) or "").strip() for name in FILTERS}
    return {name: value for name, value in given.items() if value}


def parse_window(params: Mapping[str, str]) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """[since, until) from the parameters; either end may be open (None)."""
    given = _given(params)
    since = _moment("since", given["since"]) if "since" in given else None
    until = None
    if "until" in given:
        # A bare day in `until` means the whole of that day.
        until = _moment("until", given["until"], end_of_day=True)
    if since and until and until <= since:
        raise ValidationError({"until": "The end of the period must come after its start."})
    return since, until


def filter_audit(events: QuerySet, params: Mapping[str, str]) -> QuerySet:
    """Narrow `events` by the query parameters in FILTERS; a bad value raises ValidationError naming it."""
    given = _given(params)
    since, until = parse_window(params)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    if "camera" in given:
        events = events.filter(target_type="camera", target_id=str(_whole_number("camera", given["camera"])))
    if "user" in given:
        events = events.filter(actor_name=given["user"])
    if "action" in given:
        events = events.filter(action__in=_choices("action", given["action"], AccessEvent.Action))
    if "outcome" in given:
        events = events.filter(outcome__in=_choices("outcome", given["outcome"], AccessEvent.Outcome))
    if "case_number" in given:
        events = events.filter(case_number=given["case_number"])
    if "purpose" in given:
        events = events.filter(purpose__icontains=given["purpose"])
    if "incident" in given:
        events = events.filter(incident_id=_whole_number("incident", given["incident"]))
    return events


def export_lines(agency: Agency | None) -> Iterator[str]:
    """The whole chain in order, one JSON object a line: the hashed text and its links.

    `content` is exactly what the digest covers, so sha256(previous_digest + content) must
    equal `digest`; agencies/verify_export.py redoes that with the standard library alone.
    """
    for event in audit_events(agency).order_by("sequence").iterator(chunk_size=2000):
        row = {
            "sequence": event.sequence,
            "previous_digest": event.previous_digest,
            "digest": event.digest,
            "content": event.canonical_content(),
        }
        yield json.dumps(row, separators=(",", ":")) + "\n"


def chain_head(agency: Agency | None) -> AuditChain | None:
    return AuditChain.objects.filter(key=AuditChain.key_for(agency.pk if agency else None)).first()


def daily_heads(agency: Agency, days: int = 30, today: datetime.date | None = None) -> list[dict]:
    """The chain's head at the end of each of the last `days` days (agency time), newest first.

    Published so that a citizen who wrote one down can later check that an export still
    contains it at the same row: the history up to that day has not been rewritten.
    """
    zone = zoneinfo.ZoneInfo(agency.time_zone)
    today = today or timezone.now().astimezone(zone).date()
    first = today - datetime.timedelta(days=days - 1)
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=zone)
    events = AccessEvent.objects.filter(agency=agency)
    last_per_day = dict(
        events.filter(at__gte=start)
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values_list("day")
        .annotate(last=Max("sequence"))
    )
    before = events.filter(at__lt=start).aggregate(last=Max("sequence"))["last"]
    wanted = {*last_per_day.values(), before} - {None}
    digests = dict(events.filter(sequence__in=wanted).values_list("sequence", "digest"))
    heads, sequence = [], before
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        sequence = max(filter(None, (sequence, last_per_day.get(day))), default=None)
        heads.append(
            {"day": day.isoformat(), "rows": sequence or 0, "head": digests.get(sequence, AuditChain.GENESIS)}
        )
    return heads[::-1]

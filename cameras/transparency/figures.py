"""The aggregate figures the public may see: counts only, never a location or a name."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from agencies.models import AccessEvent, Agency, AuditChain
from agencies.suspension import suspension_history
from cameras.footage.deletion_orders import certificates_of
from cameras.footage.models import EvidenceHold
from cameras.models import Camera, Consent
from cameras.sharing.rules import agencies_with_access
from cameras.transparency.sharing import shares_of
from cameras.viewing.hours import hours_by, sessions_in

# The newest orders on the page; the annual reports list each year's in full.
SHOWN_ORDERS = 10


def _viewing(agency: Agency, since) -> dict:
    sessions = sessions_in(agency, since, None)
    totals = hours_by(sessions, "agency_id", since, None)
    count, hours = totals.get(agency.pk, (0, 0.0))
    return {"viewing_sessions": count, "viewing_hours": round(hours, 1)}


def _shares(agency: Agency, since) -> dict:
    given, received = shares_of(agency, since, None)
    return {
        "given": list(given.reverse()[:SHOWN_ORDERS]),
        "received": list(received.reverse()[:SHOWN_ORDERS]),
    }


def figures_for(agency: Agency, days: int = 30) -> dict:
    since = timezone.now() - timedelta(days=days)
    cameras = Camera.objects.filter(agency=agency)
    levels = dict(
        Consent.objects.current()
        .filter(camera__agency=agency, camera__kind=Camera.Kind.PRIVATE)
        .values_list("level")
        .annotate(n=Count("pk"))
    )
    accesses = dict(
        AccessEvent.objects.filter(agency=agency, at__gte=since).values_list("action").annotate(n=Count("pk"))
    )
    return {
        "agency": agency,
        "days": days,
        "public_cameras": cameras.filter(kind=Camera.Kind.PUBLIC).count(),
        "private_registry": levels.get(Consent.Level.REGISTRY, 0),
        "private_on_request": levels.get(Consent.Level.ON_REQUEST, 0),
        "private_live": levels.get(Consent.Level.LIVE, 0),
        # Sessions, not VIEW_START lines: a tile reopened or reconnected is the same look.
        **_viewing(agency, since),
        "exports": accesses.get(AccessEvent.Action.EXPORT, 0),
        "footage_requests": accesses.get(AccessEvent.Action.FOOTAGE_REQUEST, 0),
        "retention_days": agency.retention_days,
        # Counted from the shares and grants in force, the rows the access rule reads.
        "agencies_with_access": list(agencies_with_access(cameras)),
        "shares": _shares(agency, since),
        "holds_in_force": EvidenceHold.objects.in_force().filter(agency=agency).count(),
        # Every order ever made stays listed: a council's decision does not age out after 30 days.
        "suspensions": list(suspension_history(agency)[:SHOWN_ORDERS]),
        "deletion_orders": list(certificates_of(agency)[:SHOWN_ORDERS]),
        "report_years": range(timezone.now().year, agency.created_at.year - 1, -1),
        "audit": AuditChain.objects.filter(key=AuditChain.key_for(agency.pk)).first(),
    }

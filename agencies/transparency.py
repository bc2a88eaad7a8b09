"""The aggregate figures the public may see: counts only, never a location or a name."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from agencies.models import AccessEvent, Agency, AuditChain
from cameras.models import Camera, Consent


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
        "views": accesses.get(AccessEvent.Action.VIEW_START, 0),
        "exports": accesses.get(AccessEvent.Action.EXPORT, 0),
        "footage_requests": accesses.get(AccessEvent.Action.FOOTAGE_REQUEST, 0),
        "retention_days": agency.retention_days,
        "audit": AuditChain.objects.filter(key=AuditChain.key_for(agency.pk)).first(),
    }

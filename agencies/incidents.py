"""Incidents from dispatch (CAD): opened once per CAD id, closed once.

Agencies knows no camera: what an incident means for cameras (docking the nearest ones,
ending the viewing opened for it, telling the walls) listens to the signals sent here,
inside the transaction that opens or closes the incident.
"""

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from agencies.models import Agency, Incident

# Sent inside the opening transaction, with `incident`.
incident_opened = Signal()
# Sent inside the closing transaction, with `incident`, `actor` and `request`.
incident_closed = Signal()
# Sent inside the transaction where a dispatcher acknowledged (`change="acknowledged"`) or
# dismissed (`change="dismissed"`) it, with `incident`.
incident_worked = Signal()


def do_open_incident(
    actor,
    agency: Agency,
    *,
    external_id: str,
    kind: str,
    lat: float,
    lon: float,
    address: str = "",
    priority: int = 3,
) -> tuple[Incident, bool]:
    """Open the incident CAD reported, or return the one already open under its CAD id.

    Returns (incident, created).
    """
    existing = Incident.objects.filter(agency=agency, external_id=external_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                agency=agency,
                external_id=external_id,
                kind=kind,
                priority=priority,
                lat=lat,
                lon=lon,
                address=address,
            )
            incident_opened.send(sender=Incident, incident=incident)
    except IntegrityError:
        # CAD retried while the first request was still committing: the unique constraint decides.
        return Incident.objects.get(agency=agency, external_id=external_id), False
    return incident, True


@transaction.atomic
def do_close_incident(actor, incident: Incident, *, request=None) -> bool:
    """Close the incident (and, through its listeners, every live viewing opened for it)."""
    now = timezone.now()
    closed = Incident.objects.filter(pk=incident.pk, closed_at__isnull=True).update(closed_at=now)
    if not closed:
        return False
    incident.closed_at = now
    incident_closed.send(sender=Incident, incident=incident, actor=actor, request=request)
    return True

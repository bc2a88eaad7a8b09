"""Incidents from dispatch (CAD): opened with the nearest live cameras docked, closed with their viewing."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, Incident, ViewingSession
from agencies.viewing import do_close_viewing_session
from cameras.relay.desired import live_refusal
from rtcc.geo import within


def docked_cameras(incident: Incident) -> list:
    """The agency's nearest cameras that may be seen live now, nearest first, with `distance_m`."""
    from cameras.models import Camera

    agency = incident.agency
    candidates = within(
        Camera.objects.filter(agency=agency, enabled=True).select_related("agency"),
        incident.lat,
        incident.lon,
        agency.incident_radius_m,
    )
    now = timezone.now()
    docked = []
    # Consent rules (schedules, expiry) are Python, so the candidates are checked one by one;
    # the radius keeps that list to the cameras of a few blocks.
    for camera in candidates:
        if not live_refusal(camera, now):
            docked.append(camera)
            if len(docked) >= agency.incident_camera_count:
                break
    return docked


def incident_payload(incident: Incident, cameras=None) -> dict:
    cameras = docked_cameras(incident) if cameras is None else cameras
    return {
        "id": incident.pk,
        "external_id": incident.external_id,
        "kind": incident.kind,
        "priority": incident.priority,
        "lat": incident.lat,
        "lon": incident.lon,
        "address": incident.address,
        "opened_at": incident.opened_at.isoformat(),
        "closed_at": incident.closed_at.isoformat() if incident.closed_at else None,
        "cameras": [{"id": camera.pk, "distance_m": round(camera.distance_m, 1)} for camera in cameras],
    }


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

    Returns (incident, created). Every wall of the agency hears of a new incident once it commits.
    """
    from cameras.events import send_to_agency

    existing = Incident.objects.filter(agency=agency, external_id=external_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                agency=agency,
                external_id=external_id,
                kind=kind,
                lat=lat,
                lon=lon,
                address=address,
                priority=priority,
            )
            send_to_agency(agency.pk, {"type": "incident.opened", "incident": incident_payload(incident)})
    except IntegrityError:
        # CAD retried while the first request was still committing: the unique constraint decides.
        return Incident.objects.get(agency=agency, external_id=external_id), False
    return incident, True


@transaction.atomic
def do_close_incident(actor, incident: Incident, *, request=None) -> bool:
    """Close the incident and end every live viewing opened for it; False when already closed."""
    from cameras.events import send_to_agency

    now = timezone.now()
    closed = Incident.objects.filter(pk=incident.pk, closed_at__isnull=True).update(closed_at=now)
    if not closed:
        return False
    incident.closed_at = now
    sessions = ViewingSession.objects.filter(incident=incident, ended_at__isnull=True).select_related(
        "camera", "agency", "incident", "user"
    )
    for session in sessions:
        do_close_viewing_session(
            session, reason=ViewingSession.EndReason.INCIDENT_CLOSED, actor=actor, request=request
        )
    send_to_agency(incident.agency_id, {"type": "incident.closed", "incident": {"id": incident.pk}})
    return True

"""Tell the walls what changed: an owner's consent, an incident opened, worked or closed.

The media endpoints refuse a camera's video from the commit on whatever the walls do;
these messages only spare the dispatcher a player stalling on refused segments, and
bring incidents with their docked cameras.
"""

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from agencies.incidents import incident_closed, incident_opened, incident_worked
from agencies.models import Agency
from agencies.suspension import agency_suspension_changed
from cameras.events import send_to_agency
from cameras.models import Camera
from cameras.relay.demand import add_demand
from cameras.services import cameras_access_changed, consent_changed
from cameras.viewing.services import do_close_viewing_sessions_of_incident
from cameras.wall.incidents import docked_cameras, incident_payload


@receiver(consent_changed, dispatch_uid="wall-consent-changed")
def tell_walls_of_consent(sender, camera_id, consent, **kwargs):
    tell_walls_cameras_changed([camera_id])


@receiver(incident_opened, dispatch_uid="wall-incident-opened")
def dock_cameras_on_walls(sender, incident, **kwargs):
    docked = docked_cameras(incident)
    transaction.on_commit(lambda: prewarm(incident, docked))
    send_to_agency(
        incident.agency_id, {"type": "incident.opened", "incident": incident_payload(incident, docked)}
    )


def prewarm(incident, cameras) -> None:
    """Start the docked on-demand cameras now, so a dispatcher who opens one finds it running."""
    for camera in cameras:
        if camera.relay_mode == Camera.RelayMode.ON_DEMAND:
            add_demand(camera.pk, f"incident:{incident.pk}", settings.RTCC_INCIDENT_PREWARM_SECONDS)


@receiver(incident_closed, dispatch_uid="wall-incident-closed")
def end_viewing_of_closed_incident(sender, incident, actor=None, request=None, **kwargs):
    # Inside the closing transaction: the incident and its viewing end together or not at all.
    do_close_viewing_sessions_of_incident(incident, actor=actor, request=request)
    send_to_agency(incident.agency_id, {"type": "incident.closed", "incident": {"id": incident.pk}})


@receiver(cameras_access_changed, dispatch_uid="wall-cameras-access-changed")
def tell_walls_of_access_change(sender, camera_ids, **kwargs):
    tell_walls_cameras_changed(camera_ids)


def tell_walls_cameras_changed(camera_ids) -> None:
    """Each camera's agency's walls re-read whether it may be seen (consent, rules, suspension)."""
    by_agency: dict[int, list[int]] = {}
    for camera_id, agency_id in Camera.objects.filter(pk__in=camera_ids).values_list("pk", "agency_id"):
        by_agency.setdefault(agency_id, []).append(camera_id)
    # One message per agency, however many cameras (a premises rule, a share of hundreds).
    for agency_id, ids in by_agency.items():
        send_to_agency(agency_id, {"type": "camera.consent", "camera_ids": sorted(ids)})


@receiver(agency_suspension_changed, dispatch_uid="wall-agency-suspended")
def close_walls_of_suspended_agency(sender, agency_id, suspended, **kwargs):
    # The walls close on this message; each also re-checks on a timer, so a lost one does not keep it open.
    if suspended:
        agency = Agency.objects.get(pk=agency_id)
        send_to_agency(agency_id, {"type": "agency.suspended", "detail": agency.suspension_refusal()})


@receiver(incident_worked, dispatch_uid="wall-incident-worked")
def tell_walls_of_work(sender, incident, change, **kwargs):
    if change == "dismissed":
        send_to_agency(incident.agency_id, {"type": "incident.dismissed", "incident": {"id": incident.pk}})
    else:
        send_to_agency(
            incident.agency_id, {"type": "incident.updated", "incident": incident_payload(incident)}
        )

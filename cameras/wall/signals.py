"""Tell the walls what changed: an owner's consent, an incident opened, worked or closed.

The media endpoints refuse a camera's video from the commit on whatever the walls do;
these messages only spare the dispatcher a player stalling on refused segments, and
bring incidents with their docked cameras.
"""

from django.dispatch import receiver

from agencies.incidents import incident_closed, incident_opened, incident_worked
from cameras.events import send_to_agency
from cameras.models import Camera
from cameras.services import consent_changed
from cameras.viewing.services import do_close_viewing_sessions_of_incident
from cameras.wall.incidents import incident_payload


@receiver(consent_changed, dispatch_uid="wall-consent-changed")
def tell_walls_of_consent(sender, camera_id, consent, **kwargs):
    agency_id = Camera.objects.filter(pk=camera_id).values_list("agency_id", flat=True).first()
    if agency_id is not None:
        send_to_agency(agency_id, {"type": "camera.consent", "camera_id": camera_id})


@receiver(incident_opened, dispatch_uid="wall-incident-opened")
def dock_cameras_on_walls(sender, incident, **kwargs):
    send_to_agency(incident.agency_id, {"type": "incident.opened", "incident": incident_payload(incident)})


@receiver(incident_closed, dispatch_uid="wall-incident-closed")
def end_viewing_of_closed_incident(sender, incident, actor=None, request=None, **kwargs):
    # Inside the closing transaction: the incident and its viewing end together or not at all.
    do_close_viewing_sessions_of_incident(incident, actor=actor, request=request)
    send_to_agency(incident.agency_id, {"type": "incident.closed", "incident": {"id": incident.pk}})


@receiver(incident_worked, dispatch_uid="wall-incident-worked")
def tell_walls_of_work(sender, incident, change, **kwargs):
    if change == "dismissed":
        send_to_agency(incident.agency_id, {"type": "incident.dismissed", "incident": {"id": incident.pk}})
    else:
        send_to_agency(
            incident.agency_id, {"type": "incident.updated", "incident": incident_payload(incident)}
        )

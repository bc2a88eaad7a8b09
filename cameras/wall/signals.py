"""Tell the walls when an owner changes what a camera shares, so its tile goes dark at once.

The media endpoints refuse the camera's video from the commit on whatever the walls do;
this only spares the dispatcher a player stalling on refused segments.
"""

from django.dispatch import receiver

from cameras.events import send_to_agency
from cameras.models import Camera
from cameras.services import consent_changed


@receiver(consent_changed, dispatch_uid="wall-consent-changed")
def tell_walls_of_consent(sender, camera_id, consent, **kwargs):
    agency_id = Camera.objects.filter(pk=camera_id).values_list("agency_id", flat=True).first()
    if agency_id is not None:
        send_to_agency(agency_id, {"type": "camera.consent", "camera_id": camera_id})

"""The owner's local switch: a paused box pushes and uploads nothing until its owner resumes it.

The box obeys its own switch (`rtcc-edge pause`), whatever the hub says; the hub only records
it, so that no relay waits for the box's cameras and every wall, admin page and portal page
says "paused by its owner". No agency user can lift it: only the owner, on the box, or in the
portal for a pause made in the portal (a pause made at the box is lifted at the box).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cameras.relay.boxes import tell_box
from cameras.relay.status import PAUSED_REASON, do_set_camera_status
from cameras.relay.wake import wake_nodes
from devices.models import Device
from devices.states import record_device_change

FROM_BOX, FROM_PORTAL = "box", "portal"


def show_pause(device: Device, paused: bool) -> None:
    """Every camera of the box says it is paused, or no longer; the relays re-check it at once."""
    for camera_id in device.cameras.values_list("pk", flat=True):
        if paused:
            do_set_camera_status(camera_id, "offline", PAUSED_REASON)
        else:
            do_set_camera_status(camera_id, "offline", "")
        transaction.on_commit(lambda camera_id=camera_id: wake_nodes(camera_id))


@transaction.atomic
def do_pause_device(device: Device, source: str, *, actor=None, request=None) -> bool:
    """Record the owner's pause; False when the box was paused already."""
    paused = Device.objects.filter(pk=device.pk, paused_at__isnull=True).update(
        paused_at=timezone.now(), paused_from=source
    )
    if not paused:
        return False
    device.refresh_from_db(fields=["paused_at", "paused_from"])
    record_device_change(actor, device, "device_paused", request=request, source=source)
    show_pause(device, True)
    return True


@transaction.atomic
def do_resume_device(device: Device, source: str, *, actor=None, request=None) -> bool:
    """Lift the owner's pause; a pause made at the box is lifted only there."""
    held = Device.objects.filter(pk=device.pk, paused_at__isnull=False)
    if source == FROM_PORTAL:
        held = held.filter(paused_from=FROM_PORTAL)
    if not held.update(paused_at=None, paused_from=""):
        return False
    device.refresh_from_db(fields=["paused_at", "paused_from"])
    record_device_change(actor, device, "device_resumed", request=request, source=source)
    show_pause(device, False)
    return True


def do_owner_switch(user, device: Device, *, pause: bool, request=None) -> None:
    """The portal's pause button: only the box's owner may press it; the box is told at once."""
    if device.owner_id != user.pk:
        raise PermissionDenied("Only the box's owner can pause or resume it.")
    if pause:
        do_pause_device(device, FROM_PORTAL, actor=user, request=request)
    elif not do_resume_device(device, FROM_PORTAL, actor=user, request=request) and device.paused_at:
        raise ValidationError("The box was paused on the box itself; resume it there (rtcc-edge resume).")
    tell_box(device.pk)

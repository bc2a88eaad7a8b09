"""Device tokens after enrollment: rotated on request or once a year, revoked by the agency.

Only a token's SHA-256 is stored. A rotation hands the new token to the box in the answer
to its next heartbeat, authenticated by the old one; if that answer is lost the box gets
401 and enrolls again with its claim code. A revocation also bars enrolling until the
agency issues a new claim code, so a stolen box holding its label cannot come back.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cameras.relay.boxes import tell_box
from devices.models import Device
from devices.states import record_device_change


@transaction.atomic
def do_request_token_rotation(actor, device: Device, *, request=None) -> None:
    """Ask for a new token at the box's next heartbeat."""
    if device.token_hash is None:
        raise ValidationError(f"{device.serial} has no token to rotate; it gets one when it enrolls.")
    device.token_rotation_requested_at = timezone.now()
    device.save(update_fields=["token_rotation_requested_at"])
    record_device_change(actor, device, "device_token_rotation_requested", request=request)


@transaction.atomic
def do_revoke_token(actor, device: Device, *, request=None) -> None:
    """The box's token stops working now, and the box cannot enroll again until given a new claim code."""
    device.token_hash = None
    device.token_rotation_requested_at = None
    device.token_revoked_at = timezone.now()
    device.save(update_fields=["token_hash", "token_rotation_requested_at", "token_revoked_at"])
    record_device_change(actor, device, "device_token_revoked", request=request)
    tell_box(device.pk)  # its control channel closes at once; the token is refused anyway


@transaction.atomic
def rotate_if_due(device: Device, presented_hash: str) -> str | None:
    """At a heartbeat: a new token if rotation is due, else None. Only the presenting token's holder gets it."""
    if not device.token_rotation_due():
        return None
    token = device.issue_token()
    # Conditional on the token just presented: two concurrent heartbeats cannot both rotate.
    rotated = Device.objects.filter(pk=device.pk, token_hash=presented_hash).update(
        token_hash=device.token_hash, token_issued_at=device.token_issued_at, token_rotation_requested_at=None
    )
    if not rotated:
        return None
    record_device_change(None, device, "device_token_rotated")
    return token

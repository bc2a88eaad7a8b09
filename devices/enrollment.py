"""Edge devices enroll with the serial and claim code on their label, then report every 30 s."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cameras.consent import live_refusal
from cameras.relay.ports import push_target
from devices.models import Device, hash_token

HEARTBEAT_INTERVAL_S = 30
WRONG_CODE = "The serial number or the claim code is not right."


@transaction.atomic
def do_enroll_device(
    serial: str, claim_code: str, *, firmware_version: str = "", ip: str | None = None
) -> tuple[Device, str]:
    """Give the device a fresh token (the old one stops working) and return it once."""
    device = Device.objects.select_for_update().filter(serial=serial.strip()).first()
    if device is None or not device.check_claim_code(claim_code):
        raise PermissionDenied(WRONG_CODE)
    if device.state == Device.State.RETIRED:
        raise PermissionDenied("This device is retired and cannot enroll.")
    token = device.issue_token()
    device.state = Device.State.ENROLLED
    device.enrolled_at = timezone.now()
    device.firmware_version = firmware_version[:32]
    device.last_ip = ip
    device.save(update_fields=["token_hash", "state", "enrolled_at", "firmware_version", "last_ip"])
    return device, token


def device_for_token(token: str) -> Device | None:
    return Device.objects.filter(token_hash=hash_token(token)).exclude(state=Device.State.RETIRED).first()


def do_record_heartbeat(device: Device, *, firmware_version: str = "", ip: str | None = None) -> Device:
    if len(firmware_version) > 32:
        raise ValidationError({"firmware_version": "At most 32 characters."})
    # A conditional UPDATE: concurrent heartbeats never overwrite a newer one with an older one.
    now = timezone.now()
    changes = {"last_heartbeat_at": now, "last_ip": ip}
    if firmware_version:
        changes["firmware_version"] = firmware_version
    Device.objects.filter(pk=device.pk).update(**changes)
    for field, value in changes.items():
        setattr(device, field, value)
    return device


def device_cameras(device: Device) -> list[dict]:
    """The device's cameras; those that may stream now carry where and how to push them."""
    cameras = []
    for camera in device.cameras.filter(enabled=True).select_related("agency").order_by("pk"):
        refusal = live_refusal(camera)
        push = None
        if not refusal:
            host, port = push_target(camera)
            push = {"host": host, "port": port, "passphrase": camera.srt_passphrase}
        cameras.append(
            {
                "id": camera.pk,
                "name": camera.name,
                "stream_id": camera.stream_id,
                "push": push,
                "refusal": refusal,
            }
        )
    return cameras

"""Edge devices enroll with the serial and claim code on their label, then report every 30 s."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cameras.consent import live_refusal
from cameras.models import Camera
from cameras.relay.ports import held_push_targets, held_substream_targets, substream_id
from cameras.services import cameras_access_changed
from devices.models import Device, hash_token
from devices.states import do_change_state, record_device_change

HEARTBEAT_INTERVAL_S = 30
WRONG_CODE = "The serial number or the claim code is not right."
REVOKED = (
    "The agency revoked this device's token; it enrolls again only with a new claim code from the agency."
)


@transaction.atomic
def do_enroll_device(
    serial: str, claim_code: str, *, firmware_version: str = "", ip: str | None = None
) -> tuple[Device, str]:
    """Give the device a fresh token (the old one stops working) and return it once."""
    # Lock the device row only: PostgreSQL cannot lock the nullable side of the agency join.
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("agency")
        .filter(serial=serial.strip())
        .first()
    )
    if device is None or not device.check_claim_code(claim_code):
        raise PermissionDenied(WRONG_CODE)
    if device.state == Device.State.RETIRED:
        raise PermissionDenied("This device is retired and cannot enroll.")
    if device.token_revoked_at is not None:
        raise PermissionDenied(REVOKED)
    token = device.issue_token()
    now = timezone.now()
    device.enrolled_at = device.last_heartbeat_at = now
    device.firmware_version = firmware_version[:32]
    device.last_ip = ip
    device.save(
        update_fields=[
            "token_hash",
            "token_issued_at",
            "token_rotation_requested_at",
            "enrolled_at",
            "last_heartbeat_at",
            "firmware_version",
            "last_ip",
        ]
    )
    record_device_change(None, device, "device_enrolled", ip=ip or "")
    if device.state != Device.State.ONLINE:
        do_change_state(device, Device.State.ONLINE)
    return device, token


def device_for_token(token: str) -> Device | None:
    return (
        Device.objects.select_related("agency")
        .filter(token_hash=hash_token(token))
        .exclude(state=Device.State.RETIRED)
        .first()
    )


def clean_camera_health(device: Device, reports: list[dict]) -> dict:
    """The box's per-camera report keyed by camera id; a camera not on this box is refused."""
    own = set(device.cameras.values_list("pk", flat=True))
    foreign = sorted({report["id"] for report in reports} - own)
    if foreign:
        raise ValidationError({"cameras": f"Not cameras of this device: {', '.join(map(str, foreign[:5]))}."})
    now = timezone.now().isoformat()
    return {
        str(report["id"]): {**{k: v for k, v in report.items() if k != "id"}, "reported_at": now}
        for report in reports
    }


def note_substreams(device: Device, reports: list[dict]) -> None:
    """Which of the box's cameras it can push a substream of, as it says: the wall's grid tiles play that."""
    changed = []
    for has in (True, False):
        ids = [report["id"] for report in reports if report.get("substream") is has]
        if ids:
            flipped = list(
                device.cameras.filter(pk__in=ids).exclude(substream=has).values_list("pk", flat=True)
            )
            if flipped:
                Camera.objects.filter(pk__in=flipped).update(substream=has)
                changed += flipped
    if changed:
        # The walls re-read these cameras (their grid tiles pick the stream), the nodes re-check.
        transaction.on_commit(lambda: cameras_access_changed.send(sender=Camera, camera_ids=sorted(changed)))


def do_record_heartbeat(
    device: Device,
    *,
    firmware_version: str = "",
    agent_version: str = "",
    cameras: list[dict] | None = None,
    ip: str | None = None,
) -> Device:
    if len(firmware_version) > 32:
        raise ValidationError({"firmware_version": "At most 32 characters."})
    if len(agent_version) > 32:
        raise ValidationError({"agent_version": "At most 32 characters."})
    now = timezone.now()
    changes = {"last_heartbeat_at": now, "last_ip": ip}
    if firmware_version:
        changes["firmware_version"] = firmware_version
    if agent_version:
        changes["agent_version"] = agent_version
    if cameras is not None:
        changes["camera_health"] = clean_camera_health(device, cameras)
        note_substreams(device, cameras)
    # A plain UPDATE of the reported fields: no read-modify-write of the row.
    Device.objects.filter(pk=device.pk).update(**changes)
    for field, value in changes.items():
        setattr(device, field, value)
    if device.state != Device.State.ONLINE:
        do_change_state(device, Device.State.ONLINE)
    return device


NOT_RELAYED = "No relay node is listening for it now; the hub says when to send."


def device_cameras(device: Device) -> list[dict]:
    """The device's cameras; those to push now carry where and how.

    A camera is pushed only while its owner's consent allows it and a relay node holds its
    lease (listens for it): the same orders the control channel sends (`devices.consumers`).
    """
    cameras = list(device.cameras.filter(enabled=True).select_related("agency").order_by("pk"))
    targets = held_push_targets([camera.pk for camera in cameras])
    # A substream is pushed only while a wall shows it in a grid tile and the node listens for it.
    substreams = held_substream_targets([camera.pk for camera in cameras if camera.substream])
    answer = []
    for camera in cameras:
        refusal = live_refusal(camera)
        push = None
        if not refusal and camera.pk not in targets and camera.pk not in substreams:
            refusal = NOT_RELAYED
        if not refusal:
            push = {"passphrase": camera.srt_passphrase}
            # No main target while a node relays only the substream (a wall's grid tiles show
            # an on-demand camera): the box pushes only that.
            if camera.pk in targets:
                push["host"], push["port"] = targets[camera.pk]
            if camera.pk in substreams:
                sub_host, sub_port = substreams[camera.pk]
                push["sub"] = {
                    "host": sub_host,
                    "port": sub_port,
                    "stream_id": substream_id(camera.stream_id),
                }
        answer.append(
            {
                "id": camera.pk,
                "name": camera.name,
                "stream_id": camera.stream_id,
                "push": push,
                "refusal": refusal,
            }
        )
    return answer

"""What travels on a box's control channel (`devices.consumers`): its orders, and its messages.

Orders, hub to box, always whole:

    {"type": "orders", "paused": false, "paused_from": "",
     "cameras": [{"id": 7, "host": "10.0.0.7", "port": 20001, "passphrase": "...", "stream_id": "...",
                  "sub": {"host": "10.0.0.7", "port": 20002, "stream_id": "....sub"}}],
                                                (`sub`: only while the hub listens for its substream)
     "uploads": [{"id": 3, "camera": 7, "start": "2026-11-24T14:00:00+00:00", "end": "..."}],
     "thumbnails": [9]}                         (idle cameras whose picture the hub asks for)

Messages, box to hub:

    {"type": "heartbeat", "agent_version": "0.3.0", "cameras": [{"id": 7, "frames": 900, ...}]}
    {"type": "pause"} / {"type": "resume"}     (the owner's local switch)
    {"type": "thumbnail", "camera": 9, "jpeg": "<base64>"}   (devices/thumbnails.py)
"""

from django.core.exceptions import ValidationError

from devices.api.serializers import HeartbeatSerializer
from devices.enrollment import device_cameras, do_record_heartbeat
from devices.models import Device
from devices.pause import FROM_BOX, do_pause_device, do_resume_device
from devices.thumbnails import ThumbnailRefused, do_receive_thumbnail, wanted_thumbnails
from devices.tokens import rotate_if_due
from devices.uploads import open_uploads


class ControlMessageRefused(Exception):
    def __init__(self, detail: str, *, close: bool = False):
        super().__init__(detail)
        self.detail, self.close = detail, close


def token_from_headers(headers: dict[bytes, bytes]) -> str:
    """The token of `Authorization: Device <token>`, or empty."""
    parts = headers.get(b"authorization", b"").decode("latin1").split()
    return parts[1] if len(parts) == 2 and parts[0] == "Device" else ""


def current_device(device_id: int, token_hash: str) -> Device | None:
    """The box, if the token it connected with still holds (not revoked, rotated away, or retired)."""
    return (
        Device.objects.select_related("agency")
        .filter(pk=device_id, token_hash=token_hash)
        .exclude(state=Device.State.RETIRED)
        .first()
    )


def orders_for(device_id: int, token_hash: str) -> dict | None:
    """The box's orders now; None when its token no longer holds."""
    device = current_device(device_id, token_hash)
    if device is None:
        return None
    everything = device_cameras(device)
    cameras = []
    if device.paused_at is None:
        for camera in everything:
            if camera["push"]:
                cameras.append({"id": camera["id"], "stream_id": camera["stream_id"], **camera["push"]})
    return {
        "type": "orders",
        "paused": device.paused_at is not None,
        "paused_from": device.paused_from,
        "cameras": cameras,
        "uploads": open_uploads(device),
        "thumbnails": wanted_thumbnails(device, everything),
    }


def do_record_box_message(device_id: int, token_hash: str, content, *, ip: str | None = None) -> dict | None:
    """Act on one message from the box; the answer to send back, if any."""
    device = current_device(device_id, token_hash)
    if device is None:
        raise ControlMessageRefused("Unknown or revoked device token.", close=True)
    kind = content.get("type") if isinstance(content, dict) else None
    if kind == "heartbeat":
        form = HeartbeatSerializer(data=content)
        if not form.is_valid():
            raise ControlMessageRefused(f"Heartbeat refused: {form.errors}")
        try:
            do_record_heartbeat(device, **form.validated_data, ip=ip)
        except ValidationError as error:
            raise ControlMessageRefused(f"Heartbeat refused: {'; '.join(error.messages)}") from None
        answer = {"type": "heartbeat.ok", "state": device.state}
        token = rotate_if_due(device, token_hash)
        if token:
            answer["device_token"] = token
        return answer
    if kind == "pause":
        do_pause_device(device, FROM_BOX)
        return None
    if kind == "resume":
        do_resume_device(device, FROM_BOX)
        return None
    if kind == "thumbnail":
        try:
            do_receive_thumbnail(device, content, wanted_thumbnails(device, device_cameras(device)))
        except ThumbnailRefused as error:
            raise ControlMessageRefused(f"Thumbnail refused: {error}") from None
        return None
    raise ControlMessageRefused("Send a message of type heartbeat, pause, resume or thumbnail.")

"""Thumbnails from a box, for its idle cameras: asked for in its orders, received on its control channel.

The hub asks in every order (`"thumbnails": [camera ids]`) for the box's cameras that are idle:
they may be seen and the box is online, but nobody watches, so no relay makes a picture of them.
The box answers each camera at once when it first appears there, then at most once a minute
while it stays (`devices/edge/thumbnail.py`); for a camera not listed it sends none, so no
picture leaves a home for a camera the agency may not see. What arrives is checked and kept by
`cameras.media.thumbnails`; a refusal is logged and answered with its reason.
"""

import base64
import binascii
import logging

from cameras.media.thumbnails import ThumbnailRefused, do_store_thumbnail
from cameras.models import Camera
from cameras.relay.status import shown_status
from devices.enrollment import NOT_RELAYED
from devices.models import Device
from rtcc.validators import is_id

logger = logging.getLogger(__name__)


def wanted_thumbnails(device: Device, cameras: list[dict]) -> list[int]:
    """The cameras among the box's (`device_cameras`) whose thumbnail the hub asks for: the idle ones."""
    allowed = [camera["id"] for camera in cameras if camera["refusal"] == NOT_RELAYED]
    if device.paused_at is not None or not allowed:
        return []
    # A camera with privacy masks is never asked: the box's picture is not masked (the relay's is).
    cameras = Camera.objects.filter(pk__in=allowed, privacy_masks__isnull=True).only(
        "pk", "relay_mode", "status", "status_reason"
    )
    return [camera.pk for camera in cameras if shown_status(camera, "")[0] == Camera.Status.IDLE]


def do_receive_thumbnail(device: Device, content: dict, wanted: list[int]) -> None:
    """Keep a thumbnail the box sent, `{"camera": id, "jpeg": base64}`; ThumbnailRefused, logged, otherwise."""
    camera_id, encoded = content.get("camera"), content.get("jpeg")
    try:
        if not is_id(camera_id) or not isinstance(encoded, str):
            raise ThumbnailRefused('Send {"type": "thumbnail", "camera": <id>, "jpeg": <base64>}.')
        if camera_id not in wanted:
            raise ThumbnailRefused("The hub did not ask for this camera's thumbnail.")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ThumbnailRefused("The thumbnail is not valid base64.") from None
        camera = device.cameras.filter(pk=camera_id).first()
        if camera is None:
            raise ThumbnailRefused("This camera is not one of this box's.")
        do_store_thumbnail(camera, data)
    except ThumbnailRefused as error:
        logger.warning("device %s: thumbnail of camera %r refused: %s", device.pk, str(camera_id)[:20], error)
        raise

"""Idle cameras' thumbnails: the latest small JPEG a box sent for a camera nobody watches.

An on-demand camera that may be seen but is not relayed (status `idle`) has no relay writing
its snapshot; its box sends a thumbnail over the control channel instead (`devices.control`),
when the hub lists the camera in its orders and then at most once a minute. The hub keeps the
latest per camera in Redis, for `THUMBNAIL_KEEP_SECONDS`: nothing on disk, and a box that goes
quiet leaves no old picture behind for long. It is served by the snapshot view, through the same
checks as any snapshot (`cameras.media.services.check_may_see_snapshot`).

The bytes come from a box and are hostile until checked: at most `THUMBNAIL_MAX_BYTES`, a JPEG
by its first and last bytes; anything else is refused with a reason and a log line.
"""

import logging

import redis
from django.conf import settings

from cameras.relay.status import send_events, snapshot_bumped
from cameras.relay.wake import redis_client

logger = logging.getLogger(__name__)

THUMBNAIL_MAX_BYTES = 16_384
# The box sends at most one a minute; the hub allows a little early for timers and transport.
THUMBNAIL_MIN_GAP_SECONDS = 55
THUMBNAIL_KEEP_SECONDS = 600
JPEG_START, JPEG_END = b"\xff\xd8\xff", b"\xff\xd9"


class ThumbnailRefused(Exception):
    pass


def thumbnail_key(camera_id: int, part: str = "jpeg") -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'rtcc')}:thumbnail:{int(camera_id)}:{part}"


def check_thumbnail(data: bytes) -> None:
    """Raise ThumbnailRefused, with the reason, unless `data` is a JPEG of an allowed size."""
    if len(data) > THUMBNAIL_MAX_BYTES:
        raise ThumbnailRefused(
            f"A thumbnail is at most {THUMBNAIL_MAX_BYTES} bytes; this one has {len(data)}."
        )
    if not (data.startswith(JPEG_START) and data.rstrip(b"\x00").endswith(JPEG_END)):
        raise ThumbnailRefused("A thumbnail must be a JPEG image.")


def do_store_thumbnail(camera, data: bytes) -> None:
    """Keep `data` as the camera's latest thumbnail, and tell its walls; ThumbnailRefused otherwise."""
    check_thumbnail(data)
    client = redis_client()
    try:
        if not client.set(thumbnail_key(camera.pk, "recent"), b"1", nx=True, ex=THUMBNAIL_MIN_GAP_SECONDS):
            raise ThumbnailRefused("At most one thumbnail a minute per camera.")
        client.set(thumbnail_key(camera.pk), data, ex=THUMBNAIL_KEEP_SECONDS)
    except redis.RedisError as error:
        raise ThumbnailRefused("The hub cannot keep thumbnails now; try again later.") from error
    event = snapshot_bumped(camera.pk)
    if event is not None:
        send_events([(camera.agency_id, event)])


def latest_thumbnail(camera_id: int) -> bytes | None:
    """The camera's latest thumbnail, or None (none yet, expired, or Redis unreachable)."""
    try:
        return redis_client().get(thumbnail_key(camera_id))
    except redis.RedisError:
        logger.warning("could not read the thumbnail of camera %s", camera_id, exc_info=True)
        return None


def forget_thumbnail(camera_id: int) -> None:
    """Drop the camera's thumbnail: a consent changed, and no picture taken under the old one stays."""
    try:
        redis_client().delete(thumbnail_key(camera_id), thumbnail_key(camera_id, "recent"))
    except redis.RedisError:
        logger.warning("could not drop the thumbnail of camera %s", camera_id, exc_info=True)

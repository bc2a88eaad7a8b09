"""Telling edge boxes that their orders changed: which cameras to push now, where, and when to stop.

A relay node calls `tell_boxes` whenever it starts or stops relaying a pushed camera (it took
or gave up the camera's lease, or the push settings changed). The message names no camera and
carries no secret: each box's control channel (`devices.consumers`) reads the box's orders from
the database again and sends them whole. A lost message therefore costs at most one heartbeat
of the box (its orders come with every heartbeat answer too), and never lets a box push what
the hub did not ask for: the relay listens only while it holds the lease.
"""

import logging
import re

from django.db import transaction

from cameras.models import Camera
from rtcc.async_redis import group_send_now

logger = logging.getLogger(__name__)

ORDERS_CHANGED = {"type": "box.orders"}

# An order to push a camera's substream alone (no main target) is understood from this version of
# the edge agent on; an older agent reads it as malformed (its HTTP fallback even stops every push),
# so a camera of an older or unknown box has its main stream relayed instead.
SUBSTREAM_ALONE_SINCE = (0, 4, 0)
RELEASE = re.compile(r"(\d+)\.(\d+)\.(\d+)")  # "0.4.0", "0.4.0+simulated"


def pushes_substream_alone(device) -> bool:
    """Whether the box says, by its agent's version, that it can push a camera's substream alone."""
    release = RELEASE.match(device.agent_version) if device is not None else None
    if release is None:
        return False  # no box, or no release's number (blank, an unknown agent)
    return tuple(int(part) for part in release.groups()) >= SUBSTREAM_ALONE_SINCE


def box_group(device_id: int) -> str:
    """The Channels group of one box's control channel."""
    return f"device.{device_id}"


def tell_box(device_id: int) -> None:
    """Tell the box's control channel, after commit, to read its orders again; a down layer is only logged."""

    def send():
        try:
            group_send_now(box_group(device_id), dict(ORDERS_CHANGED))
        except Exception:
            logger.warning("could not tell box %s that its orders changed", device_id, exc_info=True)

    transaction.on_commit(send)


def tell_boxes(camera_ids) -> None:
    """Tell the boxes of these cameras to read their orders again."""
    camera_ids = list(camera_ids)
    if not camera_ids:
        return
    device_ids = set(
        Camera.objects.filter(pk__in=camera_ids, device__isnull=False).values_list("device_id", flat=True)
    )
    for device_id in sorted(device_ids):
        tell_box(device_id)

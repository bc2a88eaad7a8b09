"""Which other agencies' walls hear of a camera: those it is shared with now.

Walls listen to their own agency's group only; an event about a shared camera (status,
snapshot) is also sent to each receiving agency's group. The map of shares in force is
read once per `REFRESH_SECONDS` per process, since relay nodes send events for many cameras
a second: a share given or revoked reaches the walls through its own message at once
(`cameras.sharing.services`), and nothing here decides access (the wall re-reads a camera
it does not show, and media are checked per request).
"""

import time

from cameras.sharing.models import CameraShare

REFRESH_SECONDS = 5.0

_cache: dict = {"until": 0.0, "map": {}}


def recipients(camera_id) -> tuple[int, ...]:
    """Agencies other than its own that the camera is shared with now."""
    if time.monotonic() >= _cache["until"]:
        shared: dict[int, set[int]] = {}
        rows = CameraShare.cameras.through.objects.filter(
            camerashare__in=CameraShare.objects.in_force()
        ).values_list("camera_id", "camerashare__to_agency_id")
        for shared_camera, agency_id in rows:
            shared.setdefault(shared_camera, set()).add(agency_id)
        _cache.update(until=time.monotonic() + REFRESH_SECONDS, map=shared)
    return tuple(sorted(_cache["map"].get(camera_id, ())))


def forget() -> None:
    """Read the shares again at the next event (after a share is given or revoked in this process)."""
    _cache["until"] = 0.0


def fan_out(events):
    """(agency id, event) pairs, with a copy for each agency a camera event's camera is shared with."""
    for agency_id, event in events:
        yield agency_id, event
        if not str(event.get("type", "")).startswith("camera."):
            continue
        if "camera_ids" in event:  # several cameras: each agency hears of those shared with it
            shared: dict[int, list] = {}
            for camera_id in event["camera_ids"]:
                for other in recipients(camera_id):
                    shared.setdefault(other, []).append(camera_id)
            for other, camera_ids in sorted(shared.items()):
                if other != agency_id:
                    yield other, {**event, "camera_ids": camera_ids}
        elif event.get("camera_id") is not None:
            for other in recipients(event["camera_id"]):
                if other != agency_id:
                    yield other, event

"""What a wall subscribes to: the cameras it shows (tiles, docked, the map's viewport), never every camera.

A wall that sends its tiles and viewport (in the socket's query string on connect, or a
`subscribe` message later) gets a state holding only those cameras, the open incidents and
the cameras they dock, the pushed layout's cameras, and the viewport's clusters: a constant
cost whatever the agency's size. Its events are then filtered to those cameras. A wall that
sends nothing gets the whole state, as before.
"""

import math
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.access import agency_of
from cameras.map import MAX_ITEMS, MAX_ZOOM, Viewport, map_items
from cameras.wall.services import camera_states, open_incidents, pushed_layout
from rtcc.validators import is_id

# A wall of any size shows at most a few hundred tiles; this bounds what one message may ask.
MAX_SUBSCRIBED = 1000


@dataclass(frozen=True)
class Subscription:
    cameras: frozenset[int]
    viewport: Viewport | None


# What a wall whose query could not be read is subscribed to until it sends a `subscribe`.
NOTHING = Subscription(frozenset(), None)


def subscription_from(content: dict) -> Subscription:
    """The subscription in a `subscribe` message: {"cameras": [id, ...], "bbox": [s, w, n, e], "zoom": z}."""
    cameras = content.get("cameras", [])
    if not isinstance(cameras, list) or len(cameras) > MAX_SUBSCRIBED or not all(map(is_id, cameras)):
        raise ValidationError(f"cameras: a list of at most {MAX_SUBSCRIBED} camera ids.")
    viewport = None
    if content.get("bbox") is not None:
        viewport = _viewport(content.get("bbox"), content.get("zoom"))
    return Subscription(frozenset(cameras), viewport)


def subscription_from_query(query_string: bytes) -> Subscription | None:
    """The subscription in the socket's query string (`?cameras=1,2&bbox=s,w,n,e&zoom=14`), if any."""
    # `?cameras=` (blank) is a subscription to no tiles, not no subscription: a wall with no
    # tiles and no map must not be sent every camera.
    query = parse_qs(query_string.decode("latin-1"), keep_blank_values=True)
    if "cameras" not in query and "bbox" not in query:
        return None
    try:
        cameras = [int(part) for part in query.get("cameras", [""])[0].split(",") if part]
        bbox_text, zoom_text = query.get("bbox", [""])[0], query.get("zoom", [""])[0]
        bbox = [float(part) for part in bbox_text.split(",")] if bbox_text else None
        zoom = int(zoom_text) if zoom_text else None
    except ValueError:
        raise ValidationError(
            "Give cameras as ids, bbox as four numbers and zoom as a whole number."
        ) from None
    return subscription_from({"cameras": cameras, "bbox": bbox, "zoom": zoom})


def _viewport(bbox, zoom) -> Viewport:
    if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, int | float) for v in bbox)):
        raise ValidationError("bbox: [south, west, north, east] in degrees.")
    try:
        south, west, north, east = (float(v) for v in bbox)
    except OverflowError:  # a whole number of hundreds of digits
        raise ValidationError("bbox: [south, west, north, east] in degrees.") from None
    if not all(math.isfinite(v) for v in (south, west, north, east)) or not (
        -90 <= south <= north <= 90 and -180 <= west <= east <= 180
    ):
        raise ValidationError("bbox: south not above north, west not east of east, within the world.")
    if type(zoom) is not int or not 0 <= zoom <= MAX_ZOOM:
        raise ValidationError(f"zoom: a whole number from 0 to {MAX_ZOOM}.")
    return Viewport(south, west, north, east, zoom)


def subscribed_state(user, subscription: Subscription) -> dict:
    """The wall's state for what it shows: the same shape as `wall_state`, plus the viewport's clusters."""
    agency = agency_of(user)
    incidents = open_incidents(agency) if agency else []
    pushed = pushed_layout(agency) if agency else None
    wanted = set(subscription.cameras)
    wanted.update(camera["id"] for incident in incidents for camera in incident["cameras"])
    if pushed:
        wanted.update(tile for tile in pushed.get("tiles", []) if tile)
    clusters, total = [], 0
    if subscription.viewport is not None:
        lone, clusters = map_items(user, subscription.viewport)
        lone_ids = list(lone.values_list("pk", flat=True))
        wanted.update(lone_ids)
        total = len(lone_ids) + sum(cluster["count"] for cluster in clusters)
    return {
        "type": "state",
        "server_time": timezone.now().isoformat(),
        "cameras": camera_states(user, sorted(wanted)),
        "incidents": incidents,
        "pushed": pushed,
        "map": {"clusters": clusters[:MAX_ITEMS], "total": total},
    }

"""Demand: who needs an on-demand camera's video now.

A camera whose relay mode is `on_demand` is relayed only while it is demanded: a viewer holds
a live link (POST /live/, renewed with the link), an incident docked it (pre-warm), or an
export needs it. Each demand is one member of a Redis sorted set, `<camera>|<holder>`, scored
by the moment it lapses, so a browser that vanishes without a DELETE lets go by itself.
Releasing a demand sets its score to now rather than deleting it: the camera stays demanded
for RTCC_RELAY_LINGER_SECONDS more, so a viewer who reopens at once finds the relay running.

A camera's substream (docs/wall.md, "Substreams") is demanded on its own, by the wall
socket that shows it in a grid tile and by a live link opened for it (POST /live/ with
`"stream": "sub"`): its members are `<camera>:sub|<holder>`. An on-demand camera demanded
only on its substream has only its substream pushed and relayed.

Demand only ever lets video flow where the consent rule already allows it: the relay nodes
still ask `cameras.consent` for every camera, and the media endpoints check every request.
Every change wakes the nodes at once; a renewal of a demand still held is no change.
"""

import logging
import time

import redis
from django.conf import settings

from cameras.relay.fragments import MAIN, STREAMS, SUB
from cameras.relay.wake import redis_client, wake_nodes

logger = logging.getLogger(__name__)


class DemandUnknown(Exception):
    """Redis could not be asked; the caller keeps what it knew."""


def demand_key() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'rtcc')}:relay:demand"


def viewer_holder(user_id: int, session_id: int | None) -> str:
    """A viewing session holds private cameras; an agency camera (no session) is held per user."""
    return f"session:{session_id}" if session_id is not None else f"user:{user_id}"


def demanded(camera_id: int, stream: str = MAIN) -> str:
    """The head of a demand's member: `<camera>` for the main stream, `<camera>:<stream>` else."""
    return str(int(camera_id)) if stream == MAIN else f"{int(camera_id)}:{stream}"


def add_demand(camera_id: int, holder: str, seconds: int | None = None, stream: str = MAIN) -> None:
    """Demand `camera_id` for `seconds` (default RTCC_DEMAND_TTL_SECONDS) from now; renewing extends it."""
    add_demands([camera_id], holder, seconds, stream)


def add_demands(camera_ids, holder: str, seconds: int | None = None, stream: str = MAIN) -> None:
    """Demand (or renew) each of `camera_ids` for `holder`, in one trip to Redis.

    Only a demand that was not held (new, released or lapsed) wakes the nodes: a renewal changes
    nothing they act on, and a wall renews every grid tile's substream every few seconds.
    """
    seconds = settings.RTCC_DEMAND_TTL_SECONDS if seconds is None else seconds
    members = [f"{demanded(camera_id, stream)}|{holder}" for camera_id in camera_ids]
    if not members:
        return
    now = time.time()
    try:
        pipe = redis_client().pipeline(transaction=False)
        for member in members:
            pipe.zscore(demand_key(), member)
        pipe.zadd(demand_key(), {member: now + seconds for member in members}, gt=True)
        *held_until, _ = pipe.execute()
    except redis.RedisError:
        logger.warning("could not record the demand of %s for cameras %s", holder, camera_ids, exc_info=True)
        return
    for camera_id, until in zip(camera_ids, held_until, strict=True):
        if until is None or until <= now:
            wake_nodes(camera_id)


def release_demand(camera_id: int, holder: str, stream: str | None = MAIN) -> None:
    """The holder is done: the camera stays demanded for the linger only, unless others hold it.

    `stream` None: both of the camera's streams (a viewer's live link holds either).
    """
    streams = STREAMS if stream is None else (stream,)
    now = time.time()
    try:
        # XX: only a demand that exists; LT: never lengthen one.
        redis_client().zadd(
            demand_key(), {f"{demanded(camera_id, each)}|{holder}": now for each in streams}, xx=True, lt=True
        )
    except redis.RedisError:
        logger.warning("could not release the demand of %s for camera %s", holder, camera_id, exc_info=True)
        return
    wake_nodes(camera_id)


def demanded_camera_ids(now: float | None = None) -> set[int]:
    """Cameras demanded now (either stream), or within the linger after their last demand ended.

    Raises DemandUnknown when Redis cannot be asked: a relay node then keeps its last answer
    rather than stopping every on-demand relay over a blip.
    """
    streams = demanded_streams(now)
    return streams[MAIN] | streams[SUB]


def demanded_streams(now: float | None = None) -> dict[str, set[int]]:
    """{stream: ids of the cameras whose that stream is demanded}, as `demanded_camera_ids`."""
    now = time.time() if now is None else now
    since = now - settings.RTCC_RELAY_LINGER_SECONDS
    try:
        client = redis_client()
        pipe = client.pipeline(transaction=False)
        pipe.zremrangebyscore(demand_key(), "-inf", f"({since}")
        pipe.zrangebyscore(demand_key(), since, "+inf")
        _, members = pipe.execute()
    except redis.RedisError as error:
        raise DemandUnknown(str(error)) from error
    streams = {stream: set() for stream in STREAMS}
    for member in members:
        camera, _, stream = member.split(b"|", 1)[0].decode().partition(":")
        streams.get(stream or MAIN, set()).add(int(camera))
    return streams


def demand_holders(camera_id: int, now: float | None = None, stream: str = MAIN) -> list[str]:
    """Who holds the camera now (not counting the linger), for status lines and tests."""
    now = time.time() if now is None else now
    prefix = f"{demanded(camera_id, stream)}|".encode()
    members = redis_client().zrangebyscore(demand_key(), f"({now}", "+inf")
    return sorted(member[len(prefix) :].decode() for member in members if member.startswith(prefix))

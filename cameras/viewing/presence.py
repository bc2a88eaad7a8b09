"""Whether a user still has a wall open: what ends their viewing when the wall is gone.

Each wall socket counts itself in while connected. When the last one goes, the moment is
kept; the sweep (`do_end_sessions_that_lapsed`) ends that user's open viewing sessions
once the wall has stayed gone for `RTCC_WALL_GRACE_SECONDS`, so a closed tab or a crashed
browser does not leave a look open on the owner's receipt. A user who never had a wall
(an API client) is never ended by this. Kept in the cache (Redis): a lost count errs on
the side of leaving a session to its own expiry, never of ending one that is watched.
"""

import time

from django.conf import settings
from django.core.cache import cache


def _count_key(user_id: int) -> str:
    return f"wall-sockets:{user_id}"


def _left_key(user_id: int) -> str:
    return f"wall-left:{user_id}"


def wall_opened(user_id: int) -> None:
    cache.add(_count_key(user_id), 0, timeout=None)
    cache.incr(_count_key(user_id))
    cache.delete(_left_key(user_id))


def wall_closed(user_id: int) -> None:
    cache.add(_count_key(user_id), 1, timeout=None)
    if cache.decr(_count_key(user_id)) <= 0:
        cache.set(_count_key(user_id), 0, timeout=None)
        cache.set(_left_key(user_id), time.time(), timeout=settings.RTCC_WALL_GRACE_SECONDS * 10)


def walls_gone(user_ids, now: float | None = None) -> set[int]:
    """The users among `user_ids` whose last wall closed more than the grace period ago."""
    now = time.time() if now is None else now
    left = cache.get_many([_left_key(user_id) for user_id in user_ids])
    grace = settings.RTCC_WALL_GRACE_SECONDS
    return {user_id for user_id in user_ids if now - left.get(_left_key(user_id), now) > grace}

"""Wake the relay nodes at once when a camera's desired state changes (the consent fast path).

A Redis pub/sub message to every node: the node that holds the camera re-checks it on
the spot instead of at its next pass. Losing a message costs at most one pass (about a
second), never a relay without consent: each node re-reads the database every pass,
and the media endpoints check consent on every request whatever the relays do.
"""

import json
import logging
import threading

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


def channel_name() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'rtcc')}:relay:wake"


_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis:
    """One connection pool per process and Redis: a node reads demand every pass, and a view
    opened or renewed wakes the nodes, so a new connection each time would be one a second."""
    location = settings.REDIS_URL or str(settings.EMBEDDED_REDIS_SOCKET)
    if location not in _clients:
        if settings.REDIS_URL:
            _clients[location] = redis.Redis.from_url(location, socket_timeout=5, socket_connect_timeout=5)
        else:
            _clients[location] = redis.Redis(unix_socket_path=location, socket_timeout=5)
    return _clients[location]


def wake_nodes(camera_id: int | None = None) -> None:
    """Make every node re-check now; without a camera id (a whole agency changed), every camera it holds."""
    try:
        redis_client().publish(channel_name(), json.dumps({"camera_id": camera_id}))
    except redis.RedisError:
        logger.warning("could not wake the relay nodes for camera %s", camera_id, exc_info=True)


class WakeListener(threading.Thread):
    """Sets `event` and collects camera ids whenever a wake message arrives; reconnects on errors."""

    def __init__(self, event: threading.Event):
        super().__init__(name="relay-wake", daemon=True)
        self.event = event
        self.camera_ids: set[int] = set()
        self.everything = False
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.subscribed = threading.Event()

    def take(self) -> tuple[set[int], bool]:
        """The camera ids named since the last call, and whether a message named none (re-read all)."""
        with self.lock:
            ids, self.camera_ids = self.camera_ids, set()
            everything, self.everything = self.everything, False
        return ids, everything

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.listen()
            except (redis.RedisError, OSError):
                self.subscribed.clear()
                logger.warning("relay wake channel lost; retrying", exc_info=True)
                self.stopping.wait(1.0)

    def listen(self) -> None:
        pubsub = redis_client().pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(channel_name())
            self.subscribed.set()
            while not self.stopping.is_set():
                message = pubsub.get_message(timeout=0.5)
                if message is None:
                    continue
                try:
                    camera_id = json.loads(message["data"])["camera_id"]
                    camera_id = None if camera_id is None else int(camera_id)
                except (ValueError, KeyError, TypeError):
                    continue
                with self.lock:
                    if camera_id is None:
                        self.everything = True
                    else:
                        self.camera_ids.add(camera_id)
                self.event.set()
        finally:
            pubsub.close()

"""asyncio Redis clients whose commands end when their task is cancelled.

redis-py sends every command under `asyncio.wait_for` when the client has a socket timeout
(redis-py 8 sets one, 5 s, unless told otherwise). Before Python 3.12, `wait_for` swallows a
cancel that arrives as the send completes (CPython gh-86296): the cancelled task goes on to
read the reply and, in a loop such as a socket's reader or channels_redis's receive, reads
for ever. A closed wall socket then never finished, and a test run waited on it for good.

So these clients have no socket timeout, and each caller bounds its round trips with
`asyncio.timeout`, which passes a cancel on. Connecting keeps its own timeout.
"""

import asyncio

import redis.asyncio
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

CONNECT_SECONDS = 5


def async_redis(url: str, connect_seconds: float = CONNECT_SECONDS) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(url, socket_timeout=None, socket_connect_timeout=connect_seconds)


# A group send from a request, a task or a relay pass waits no longer than this for Redis: the
# channel layer's connections have no socket timeout of their own (above).
GROUP_SEND_SECONDS = 5


def group_send_now(group: str, message: dict, seconds: float = GROUP_SEND_SECONDS) -> None:
    """Send `message` to a Channels group from synchronous code; TimeoutError past `seconds`."""

    async def send():
        async with asyncio.timeout(seconds):
            await get_channel_layer().group_send(group, message)

    async_to_sync(send)()

"""The channel layer keeps a quiet channel: a consumer that hears nothing for a while lives on.

A wall tab or a box hears of access changes only now and then. channels_redis waits for them
with blocking pops of 5 s, and redis-py gives up on a read after its own socket timeout.
"""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

QUIET_SECONDS = 7  # past one blocking pop (5 s) and redis-py's default read timeout (5 s)


async def receive_after_quiet():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(QUIET_SECONDS)
    if receiving.done():
        return receiving.exception() or receiving.result()
    await layer.send(channel, {"type": "access.changed"})
    return await asyncio.wait_for(receiving, 5)


def test_a_receive_outlives_a_quiet_channel_and_gets_what_comes_next():
    assert async_to_sync(receive_after_quiet)() == {"type": "access.changed"}

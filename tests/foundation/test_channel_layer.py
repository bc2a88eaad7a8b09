"""The channel layer keeps a quiet channel, and lets go of a channel when its consumer ends.

A wall tab or a box hears of access changes only now and then. channels_redis waits for them
with blocking pops of 5 s, and redis-py gives up on a read after its own socket timeout. When a
socket closes, channels cancels its consumer's receive; that cancel must end the receive, at
whatever point of its round trips it lands (rtcc/async_redis.py).
"""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from tests.sockets import lost_cancels

QUIET_SECONDS = 7  # past one blocking pop (5 s) and redis-py's default read timeout (5 s)


async def receive_after_quiet():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(QUIET_SECONDS)
    if receiving.done():
        return receiving.exception() or receiving.result()
    await layer.send(channel, {"type": "access.changed"})
    async with asyncio.timeout(5):
        return await receiving


def test_a_receive_outlives_a_quiet_channel_and_gets_what_comes_next():
    assert async_to_sync(receive_after_quiet)() == {"type": "access.changed"}


async def lost_receive_cancels() -> list[int]:
    layer = get_channel_layer()

    async def start():
        return layer.receive(await layer.new_channel())

    return await lost_cancels(start)


def test_a_cancelled_receive_ends_wherever_the_cancel_lands():
    assert async_to_sync(lost_receive_cancels)() == []

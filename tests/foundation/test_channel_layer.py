"""The channel layer keeps a quiet channel, and lets go of a channel when its consumer ends.

A wall tab or a box hears of access changes only now and then. channels_redis waits for them
with blocking pops of 5 s, and redis-py gives up on a read after its own socket timeout. When a
socket closes, channels cancels its consumer's receive; that cancel must end the receive, at
whatever point of its round trips it lands (rtcc/async_redis.py).
"""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

QUIET_SECONDS = 7  # past one blocking pop (5 s) and redis-py's default read timeout (5 s)
# A receive's first round trips take a few dozen turns of the event loop; a cancel lands on each.
CANCEL_AFTER_TURNS = range(80)
ENDS_WITHIN_SECONDS = 2


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


async def turns_whose_cancel_was_lost() -> list[int]:
    layer = get_channel_layer()
    lost = []
    for turns in CANCEL_AFTER_TURNS:
        receiving = asyncio.ensure_future(layer.receive(await layer.new_channel()))
        for _ in range(turns):
            await asyncio.sleep(0)
        receiving.cancel()
        try:
            async with asyncio.timeout(ENDS_WITHIN_SECONDS):
                await asyncio.gather(receiving, return_exceptions=True)
        except TimeoutError:
            lost.append(turns)  # the timeout's own cancel ended it
    return lost


def test_a_cancelled_receive_ends_wherever_the_cancel_lands():
    assert async_to_sync(turns_whose_cancel_was_lost)() == []

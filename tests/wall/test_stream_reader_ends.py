"""A closed wall socket's reader ends when cancelled, wherever in its Redis round trips the cancel
lands (rtcc/async_redis.py): the socket's disconnect waits for it."""

import asyncio

from asgiref.sync import async_to_sync

from cameras.live_stream.streams import StreamReader

CANCEL_AFTER_TURNS = range(80)
ENDS_WITHIN_SECONDS = 2


async def nothing(*args):
    pass


async def turns_whose_cancel_was_lost() -> list[int]:
    lost = []
    for turns in CANCEL_AFTER_TURNS:
        reader = StreamReader(nothing)
        reader.open(1)  # a camera with no fragments: the reader asks Redis for its start, again and again
        running = asyncio.ensure_future(reader.run())
        for _ in range(turns):
            await asyncio.sleep(0)
        running.cancel()
        try:
            async with asyncio.timeout(ENDS_WITHIN_SECONDS):
                await asyncio.gather(running, return_exceptions=True)
        except TimeoutError:
            lost.append(turns)
        await reader.aclose()
    return lost


def test_a_cancelled_reader_ends_wherever_the_cancel_lands():
    assert async_to_sync(turns_whose_cancel_was_lost)() == []

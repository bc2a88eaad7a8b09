"""A test socket that lets the consumer finish its own disconnect, and a check that cancels end."""

import asyncio

from channels.testing import WebsocketCommunicator

DISCONNECT_SECONDS = 10


class Socket(WebsocketCommunicator):
    """channels' test socket, whose `disconnect` waits for the consumer's handler to end.

    The stock one waits 1 s and then cancels the application inside its disconnect handler
    (group discards, demand releases, a reader closed: Redis round trips that take longer on a
    loaded machine). A handler that ends by itself leaves nothing to cancel. (Cancels did leave
    suite runs waiting for good, on applications whose Redis reads had lost them: rtcc/async_redis.py.)
    """

    async def disconnect(self, code=1000, timeout=DISCONNECT_SECONDS):
        await super().disconnect(code, timeout)


# A consumer's first round trips take a few dozen turns of the event loop; a cancel lands on each.
CANCEL_AFTER_TURNS = range(80)
ENDS_WITHIN_SECONDS = 2


async def lost_cancels(start, end=None) -> list[int]:
    """The turns of the event loop after which a cancel did not end the coroutine `start()` makes
    within `ENDS_WITHIN_SECONDS` (the timeout's own cancel ended it then); `end()` after each."""
    lost = []
    for turns in CANCEL_AFTER_TURNS:
        running = asyncio.ensure_future(await start())
        for _ in range(turns):
            await asyncio.sleep(0)
        running.cancel()
        try:
            async with asyncio.timeout(ENDS_WITHIN_SECONDS):
                await asyncio.gather(running, return_exceptions=True)
        except TimeoutError:
            lost.append(turns)
        if end is not None:
            await end()
    return lost

"""A test socket that lets the consumer finish its own disconnect."""

from channels.testing import WebsocketCommunicator

DISCONNECT_SECONDS = 10


class Socket(WebsocketCommunicator):
    """channels' test socket, whose `disconnect` waits for the consumer's handler to end.

    The stock one waits 1 s and then cancels the application inside its disconnect handler
    (group discards, demand releases, a reader closed: Redis round trips that take longer on a
    loaded machine). One such cancel left a suite run waiting on an application that never
    finished, with no thread at work; a handler that ends by itself leaves nothing to cancel.
    """

    async def disconnect(self, code=1000, timeout=DISCONNECT_SECONDS):
        await super().disconnect(code, timeout)

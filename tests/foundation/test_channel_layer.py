"""The channel layer keeps a quiet channel, and lets go of a channel when its consumer ends.

A wall tab or a box hears of access changes only now and then. channels_redis waits for them
with blocking pops of 5 s, and redis-py gives up on a read after its own socket timeout. When a
socket closes, channels cancels its consumer's receive; that cancel must end the receive, at
whatever point of its round trips it lands (rtcc/async_redis.py). And a send from synchronous
code gives up on a Redis that does not answer.
"""

import asyncio
import socket
import threading
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.test import override_settings

from rtcc.async_redis import group_send_now
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


@contextmanager
def redis_that_never_answers():
    """A port that takes connections and commands and answers nothing (a Redis hung, not gone)."""
    server = socket.create_server(("127.0.0.1", 0))
    taken = []

    def swallow():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            taken.append(connection)

    threading.Thread(target=swallow, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        for connection in taken:
            connection.close()


def test_a_group_send_gives_up_on_a_redis_that_never_answers():
    layer = settings.CHANNEL_LAYERS["default"]
    (host,) = layer["CONFIG"]["hosts"]
    outcome = []
    with redis_that_never_answers() as port:
        hung = {**host, "address": f"redis://127.0.0.1:{port}/0"}
        with override_settings(
            CHANNEL_LAYERS={"default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": [hung]}}}
        ):

            def send():
                try:
                    group_send_now("nobody", {"type": "access.ended"}, seconds=1)
                    outcome.append("sent")
                except TimeoutError:
                    outcome.append("gave up")

            sending = threading.Thread(target=send, daemon=True)
            sending.start()
            sending.join(10)
    assert outcome == ["gave up"]

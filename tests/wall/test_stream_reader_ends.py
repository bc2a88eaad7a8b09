"""A closed wall socket's reader ends when cancelled, wherever in its Redis round trips the cancel
lands (rtcc/async_redis.py): the socket's disconnect waits for it."""

from asgiref.sync import async_to_sync

from cameras.live_stream.streams import StreamReader
from tests.sockets import lost_cancels


async def nothing(*args):
    pass


async def lost_reader_cancels() -> list[int]:
    readers = []

    async def start():
        reader = StreamReader(nothing)
        reader.open(1)  # a camera with no fragments: the reader asks Redis for its start, again and again
        readers.append(reader)
        return reader.run()

    async def end():
        await readers.pop().aclose()

    return await lost_cancels(start, end)


def test_a_cancelled_reader_ends_wherever_the_cancel_lands():
    assert async_to_sync(lost_reader_cancels)() == []

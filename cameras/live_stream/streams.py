"""One wall socket's cameras: read from the relays' Redis streams, each viewer starting at a keyframe.

A socket reads every camera it carries in one blocking XREAD (one Redis connection per
socket, however many tiles). A camera starts at the newest keyframe fragment, after its run's
init segment; a relay restarted meanwhile (a new run) is picked up at its next keyframe with
its new init segment. A camera's substream is a stream of its own here (`(camera, "sub")`),
read and sent beside its main stream while the page switches between them. The relays publish
only what some socket watches: a socket marks each stream it reads watched in Redis, with a short
TTL that it renews every second while it reads (cameras/relay/fragments.py), so a stream's mark
lapses within seconds of its last socket. A camera whose
fragments queue up behind the live edge skips to the newest keyframe instead of drifting behind:
when this reader itself reads late, and whenever the socket's owner says the page is behind
(`may_send`, cameras/live_stream/consumer.py). Then nothing is sent, what is read meanwhile is
dropped, and once the page has caught up each stream goes on at its next keyframe: only fresh
video, never a burst of the part of a GOP already gone by, which a page that just fell behind
could not take either. Streams waiting for their start are started together, in two Redis round
trips however many there are (64 tiles opening at once).
"""

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cameras.live_stream.frames import fragment_message, init_message
from cameras.media.authorization_cache import redis_location
from cameras.relay.fragments import (
    MAIN,
    WATCHED_RENEW_S,
    WATCHED_TTL_MS,
    init_key,
    keyframe_key,
    stream_key,
    watched_key,
)
from rtcc.async_redis import async_redis

log = logging.getLogger(__name__)

BLOCK_MS = 200  # how long a read waits for a fragment: also how soon a new camera is read
BATCH = 100
# Fragments older than this when read mean the socket fell behind: skip to the newest keyframe.
BEHIND_MS = 1000
# A pass that takes longer than this is a Redis that does not answer: it is tried again.
PASS_SECONDS = 5


@dataclass
class Stream:
    camera_id: int
    stream: str = MAIN  # or SUB: the camera's substream
    run: bytes = b""  # the relay run whose init segment the browser holds; b"" before any
    last_id: bytes = b""  # the last entry sent or dropped; b"" until started at a keyframe
    skipping: bool = False  # the page fell behind: entries are dropped until the next keyframe


def client() -> aioredis.Redis:
    return async_redis(redis_location())


class StreamReader:
    """Reads the cameras in `streams` and hands each message to `send(camera_id, bytes)`, while
    `may_send()` says the page keeps up."""

    def __init__(self, send, may_send=lambda: True):
        self.send = send
        self.may_send = may_send
        self.streams: dict[tuple[int, str], Stream] = {}  # by (camera id, stream)
        self.redis = client()
        self.changed = asyncio.Event()
        self.closing = False
        self.marked: set[tuple[int, str]] = set()  # the streams whose watched mark this socket renewed last
        self.marked_at = 0.0

    def open(self, camera_id: int, stream: str = MAIN) -> None:
        if (camera_id, stream) not in self.streams:
            self.streams[camera_id, stream] = Stream(camera_id, stream)
            self.changed.set()

    def restart(self, camera_id: int, stream: str = MAIN) -> None:
        found = self.streams.get((camera_id, stream))
        if found is not None:
            found.last_id = b""
            self.changed.set()

    def close(self, camera_id: int, stream: str | None = None) -> None:
        """Stop sending one stream of the camera, or (None) every stream of it."""
        for key in [key for key in self.streams if key[0] == camera_id and stream in (None, key[1])]:
            del self.streams[key]

    async def aclose(self) -> None:
        self.closing = True
        await self.redis.aclose()

    async def run(self) -> None:
        while not self.closing:
            try:
                async with asyncio.timeout(PASS_SECONDS):
                    await self.read_once()
            except (RedisError, TimeoutError):
                if self.closing:
                    return
                log.warning("video socket: Redis unreachable; retrying", exc_info=True)
                await asyncio.sleep(1)

    async def mark_watched(self) -> None:
        """Renew the watched mark of every stream read here: a new one at once, all every second."""
        streams = set(self.streams)
        now = time.monotonic()
        if not streams or (streams <= self.marked and now - self.marked_at < WATCHED_RENEW_S):
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for camera_id, stream in streams:
                pipe.set(watched_key(camera_id, stream), b"1", px=WATCHED_TTL_MS)
            await pipe.execute()
        self.marked, self.marked_at = streams, now

    async def read_once(self) -> None:
        await self.mark_watched()
        if self.may_send():
            await self.start([stream for stream in self.streams.values() if not stream.last_id])
        reading = {stream_key(s.camera_id, s.stream): s for s in self.streams.values() if s.last_id}
        wanted = {key: s.last_id for key, s in reading.items()}
        self.changed.clear()
        if not wanted:
            try:
                async with asyncio.timeout(BLOCK_MS / 1000):
                    await self.changed.wait()
            except TimeoutError:
                pass
            return
        answer = await self.redis.xread(wanted, block=BLOCK_MS, count=BATCH)
        if not self.may_send():
            self.drop(reading, answer)
            return
        now_ms = time.time() * 1000
        for key, entries in answer or []:
            read = reading.get(key.decode())
            stream = self.streams.get((read.camera_id, read.stream)) if read is not None else None
            if stream is not read or not entries:
                continue  # closed while the read waited: not one more byte of it
            if now_ms - float(entries[-1][1].get(b"t", 0)) > BEHIND_MS:
                stream.last_id = b""  # behind: the next pass starts at the newest keyframe
                continue
            await self.forward(stream, entries)

    def drop(self, reading: dict, answer) -> None:
        """The page is behind: what was read is not sent, and each stream waits for its next keyframe."""
        for key, entries in answer or []:
            stream = reading.get(key.decode())
            if stream is not None and entries and stream.last_id:
                stream.last_id = entries[-1][0]
                stream.skipping = True

    async def start(self, streams: list[Stream]) -> None:
        """Send each stream's run init segment and everything from its newest keyframe; nothing
        for a stream with no keyframe yet (it is tried again on the next pass)."""
        if not streams:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream in streams:
                pipe.hgetall(init_key(stream.camera_id, stream.stream))
                pipe.get(keyframe_key(stream.camera_id, stream.stream))
            answers = await pipe.execute()
        ready = [
            (stream, init, key_id)
            for stream, init, key_id in zip(streams, answers[::2], answers[1::2], strict=True)
            if init and key_id is not None
        ]
        if not ready:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for stream, _, key_id in ready:
                pipe.xrange(stream_key(stream.camera_id, stream.stream), min=key_id, max="+")
            ranges = await pipe.execute()
        for (stream, init, _), entries in zip(ready, ranges, strict=True):
            camera_id, name = stream.camera_id, stream.stream
            entries = [entry for entry in entries if entry[1].get(b"r") == init[b"run"]]
            if (
                not entries
                or entries[0][1].get(b"k") != b"1"
                or self.streams.get((camera_id, name)) is not stream
            ):
                continue
            if stream.run != init[b"run"]:
                await self.send(camera_id, init_message(camera_id, init[b"data"], name))
                stream.run = init[b"run"]
            await self.forward(stream, entries)

    async def forward(self, stream: Stream, entries) -> None:
        for entry_id, fields in entries:
            if fields.get(b"r") != stream.run:
                stream.last_id = b""  # the relay restarted: its new init, at its first keyframe
                return
            if self.streams.get((stream.camera_id, stream.stream)) is not stream:
                return
            if stream.skipping and fields.get(b"k") != b"1":
                stream.last_id = entry_id
                continue
            stream.skipping = False
            await self.send(
                stream.camera_id,
                fragment_message(
                    stream.camera_id,
                    fields[b"d"],
                    fields.get(b"k") == b"1",
                    float(fields[b"t"]),
                    stream.stream,
                ),
            )
            stream.last_id = entry_id

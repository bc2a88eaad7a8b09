"""One wall socket's cameras: read from the relays' Redis streams, each viewer starting at a keyframe.

A socket reads every camera it carries in one blocking XREAD (one Redis connection per
socket, however many tiles). A camera starts at the newest keyframe fragment, after its run's
init segment; a relay restarted meanwhile (a new run) is picked up at its next keyframe with
its new init segment. A camera's substream is a stream of its own here (`(camera, "sub")`),
read and sent beside its main stream while the page switches between them. A camera whose fragments queue up behind the live edge (a slow
socket, a tab that was asleep) skips to the newest keyframe instead of drifting behind.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from cameras.live_stream.frames import fragment_message, init_message
from cameras.media.authorization_cache import redis_location
from cameras.relay.fragments import MAIN, init_key, keyframe_key, stream_key

log = logging.getLogger(__name__)

BLOCK_MS = 200  # how long a read waits for a fragment: also how soon a new camera is read
BATCH = 100
# Fragments older than this when read mean the socket fell behind: skip to the newest keyframe.
BEHIND_MS = 1000


@dataclass
class Stream:
    camera_id: int
    stream: str = MAIN  # or SUB: the camera's substream
    run: bytes = b""  # the relay run whose init segment the browser holds; b"" before any
    last_id: bytes = b""  # the last entry sent; b"" until started at a keyframe


def client() -> aioredis.Redis:
    return aioredis.Redis.from_url(redis_location(), socket_timeout=5, socket_connect_timeout=5)


class StreamReader:
    """Reads the cameras in `streams` and hands each message to `send(camera_id, bytes)`."""

    def __init__(self, send):
        self.send = send
        self.streams: dict[tuple[int, str], Stream] = {}  # by (camera id, stream)
        self.redis = client()
        self.changed = asyncio.Event()
        self.closing = False

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
                await self.read_once()
            except RedisError:
                if self.closing:
                    return
                log.warning("video socket: Redis unreachable; retrying", exc_info=True)
                await asyncio.sleep(1)

    async def read_once(self) -> None:
        for stream in list(self.streams.values()):
            if not stream.last_id:
                await self.start(stream)
        reading = {stream_key(s.camera_id, s.stream): s for s in self.streams.values() if s.last_id}
        wanted = {key: s.last_id for key, s in reading.items()}
        self.changed.clear()
        if not wanted:
            try:
                await asyncio.wait_for(self.changed.wait(), BLOCK_MS / 1000)
            except TimeoutError:
                pass
            return
        answer = await self.redis.xread(wanted, block=BLOCK_MS, count=BATCH)
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

    async def start(self, stream: Stream) -> None:
        """Send the run's init segment and everything from the newest keyframe; nothing if none yet."""
        camera_id, name = stream.camera_id, stream.stream
        init, key_id = await asyncio.gather(
            self.redis.hgetall(init_key(camera_id, name)), self.redis.get(keyframe_key(camera_id, name))
        )
        if not init or key_id is None:
            return
        entries = await self.redis.xrange(stream_key(camera_id, name), min=key_id, max="+")
        entries = [entry for entry in entries if entry[1].get(b"r") == init[b"run"]]
        if (
            not entries
            or entries[0][1].get(b"k") != b"1"
            or self.streams.get((camera_id, name)) is not stream
        ):
            return
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

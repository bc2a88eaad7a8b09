"""One wall socket's cameras: read from the relays' Redis streams, each viewer starting at a keyframe.

A socket reads every camera it carries in one blocking XREAD (one Redis connection per
socket, however many tiles). A camera starts at the newest keyframe fragment, after its run's
init segment; a relay restarted meanwhile (a new run) is picked up at its next keyframe with
its new init segment. The relays publish only what some socket watches: a socket marks each
camera it reads watched in Redis, with a short TTL that it renews every second while it reads
(cameras/relay/fragments.py), so a camera's mark lapses within seconds of its last socket. A camera whose fragments queue up behind the live edge (a slow
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
from cameras.relay.fragments import (
    WATCHED_RENEW_S,
    WATCHED_TTL_MS,
    init_key,
    keyframe_key,
    stream_key,
    watched_key,
)

log = logging.getLogger(__name__)

BLOCK_MS = 200  # how long a read waits for a fragment: also how soon a new camera is read
BATCH = 100
# Fragments older than this when read mean the socket fell behind: skip to the newest keyframe.
BEHIND_MS = 1000


@dataclass
class Stream:
    camera_id: int
    run: bytes = b""  # the relay run whose init segment the browser holds; b"" before any
    last_id: bytes = b""  # the last entry sent; b"" until started at a keyframe


def client() -> aioredis.Redis:
    return aioredis.Redis.from_url(redis_location(), socket_timeout=5, socket_connect_timeout=5)


class StreamReader:
    """Reads the cameras in `streams` and hands each message to `send(camera_id, bytes)`."""

    def __init__(self, send):
        self.send = send
        self.streams: dict[int, Stream] = {}
        self.redis = client()
        self.changed = asyncio.Event()
        self.closing = False
        self.marked: set[int] = set()  # the cameras whose watched mark this socket renewed last
        self.marked_at = 0.0

    def open(self, camera_id: int) -> None:
        if camera_id not in self.streams:
            self.streams[camera_id] = Stream(camera_id)
            self.changed.set()

    def restart(self, camera_id: int) -> None:
        stream = self.streams.get(camera_id)
        if stream is not None:
            stream.last_id = b""
            self.changed.set()

    def close(self, camera_id: int) -> None:
        self.streams.pop(camera_id, None)

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

    async def mark_watched(self) -> None:
        """Renew the watched mark of every camera read here: a new one at once, all every second."""
        cameras = set(self.streams)
        now = time.monotonic()
        if not cameras or (cameras <= self.marked and now - self.marked_at < WATCHED_RENEW_S):
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for camera_id in cameras:
                pipe.set(watched_key(camera_id), b"1", px=WATCHED_TTL_MS)
            await pipe.execute()
        self.marked, self.marked_at = cameras, now

    async def read_once(self) -> None:
        await self.mark_watched()
        for stream in list(self.streams.values()):
            if not stream.last_id:
                await self.start(stream)
        wanted = {stream_key(s.camera_id): s.last_id for s in self.streams.values() if s.last_id}
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
            camera_id = int(key.rsplit(b":", 1)[1])
            stream = self.streams.get(camera_id)
            if stream is None or not entries:
                continue  # closed while the read waited: not one more byte of it
            if now_ms - float(entries[-1][1].get(b"t", 0)) > BEHIND_MS:
                stream.last_id = b""  # behind: the next pass starts at the newest keyframe
                continue
            await self.forward(stream, entries)

    async def start(self, stream: Stream) -> None:
        """Send the run's init segment and everything from the newest keyframe; nothing if none yet."""
        camera_id = stream.camera_id
        init, key_id = await asyncio.gather(
            self.redis.hgetall(init_key(camera_id)), self.redis.get(keyframe_key(camera_id))
        )
        if not init or key_id is None:
            return
        entries = await self.redis.xrange(stream_key(camera_id), min=key_id, max="+")
        entries = [entry for entry in entries if entry[1].get(b"r") == init[b"run"]]
        if not entries or entries[0][1].get(b"k") != b"1" or self.streams.get(camera_id) is not stream:
            return
        if stream.run != init[b"run"]:
            await self.send(camera_id, init_message(camera_id, init[b"data"]))
            stream.run = init[b"run"]
        await self.forward(stream, entries)

    async def forward(self, stream: Stream, entries) -> None:
        for entry_id, fields in entries:
            if fields.get(b"r") != stream.run:
                stream.last_id = b""  # the relay restarted: its new init, at its first keyframe
                return
            if self.streams.get(stream.camera_id) is not stream:
                return
            await self.send(
                stream.camera_id,
                fragment_message(
                    stream.camera_id, fields[b"d"], fields.get(b"k") == b"1", float(fields[b"t"])
                ),
            )
            stream.last_id = entry_id

"""Low-latency fragments of a relayed camera: fragmented MP4 from ffmpeg, published to Redis streams.

The relay's ffmpeg writes one more output, the same stream copy as the HLS output, as
fragmented MP4 with one fragment per frame (`movflags`, below) into a pipe. The node reads
that pipe, splits it into boxes and publishes:

- the initialisation segment (`ftyp` + `moov`) under `<prefix>:live:<id>:init`, with the run it
  belongs to (a restarted relay is a new run, whose fragments need its own init);
- every fragment (`moof` + `mdat`) as an entry of the stream `<prefix>:live:<id>`: its bytes,
  whether it starts with a keyframe, its run and the node's clock when it was read, capped at
  `STREAM_FRAGMENTS` entries;
- the id of the newest keyframe fragment under `<prefix>:live:<id>:key`: where a new viewer starts.

A camera's substream (docs/wall.md, "Substreams") has the same three keys under
`<prefix>:live:<id>:sub` (`:sub:init`, `:sub:key`).

The web tier reads the streams for the sockets of the walls (`cameras/live_stream/`). Nothing
here decides who may see the bytes: every socket checks that on its own, as the media
endpoints do for HLS. The keys expire a few seconds after the last fragment, so a relay that
died leaves nothing that looks live.
"""

import logging
import secrets
import struct
import time

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# One fragment a frame, and no index at the end: the fragment leaves ffmpeg as soon as the
# next frame comes, and the browser's MSE reads each one on its own.
MOVFLAGS = "empty_moov+default_base_moof+frag_every_frame+skip_trailer"
# About 10 s at 25 fps: enough to start at the newest keyframe of any usual GOP.
STREAM_FRAGMENTS = 250
KEYS_TTL_S = 10
READ_CHUNK = 256 * 1024
MAX_BOX = 16 * 1024 * 1024  # a single frame never comes near; more means a broken stream
SAMPLE_IS_NON_SYNC = 0x00010000
# ffmpeg blocks on a full pipe, and HLS with it: Redis gets little time per write, and after a
# failure none for a while, so that an unreachable Redis costs the wall's socket, never HLS.
REDIS_TIMEOUT_S = 0.5
REDIS_BACKOFF_S = 30.0

_clients: dict[str, redis.Redis] = {}


def fragments_client() -> redis.Redis:
    """One pool per process, with short timeouts (above); the cache's Redis, which daphne reads."""
    location = settings.CACHES["default"]["LOCATION"]
    if location not in _clients:
        _clients[location] = redis.Redis.from_url(
            location, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
        )
    return _clients[location]


MAIN, SUB = "main", "sub"
STREAMS = (MAIN, SUB)


def stream_key(camera_id: int, stream: str = MAIN) -> str:
    key = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:live:{int(camera_id)}"
    return key if stream == MAIN else f"{key}:{SUB}"


def init_key(camera_id: int, stream: str = MAIN) -> str:
    return stream_key(camera_id, stream) + ":init"


def keyframe_key(camera_id: int, stream: str = MAIN) -> str:
    return stream_key(camera_id, stream) + ":key"


def boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, box end) of each box in data[start:end]; stops at a truncated box."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            if offset + 16 > end:
                return
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        if size < header or offset + size > end:
            return
        yield kind, offset + header, offset + size
        offset += size


def starts_with_keyframe(moof: bytes) -> bool:
    """Whether the first sample of the fragment's first track run is a sync sample (ISO 14496-12 8.8)."""
    for kind, start, end in boxes(moof):
        if kind != b"moof":
            continue
        for traf, traf_start, traf_end in boxes(moof, start, end):
            if traf != b"traf":
                continue
            default_flags = None
            for child, at, _child_end in boxes(moof, traf_start, traf_end):
                flags = struct.unpack_from(">I", moof, at)[0] & 0xFFFFFF
                if child == b"tfhd":
                    at += 8  # version and flags, track id
                    at += 8 if flags & 0x1 else 0
                    at += 4 if flags & 0x2 else 0
                    at += 4 if flags & 0x8 else 0
                    at += 4 if flags & 0x10 else 0
                    if flags & 0x20:
                        default_flags = struct.unpack_from(">I", moof, at)[0]
                elif child == b"trun":
                    at += 8  # version and flags, sample count
                    at += 4 if flags & 0x1 else 0
                    if flags & 0x4:
                        sample_flags = struct.unpack_from(">I", moof, at)[0]
                    elif flags & 0x400:
                        at += 4 if flags & 0x100 else 0
                        at += 4 if flags & 0x200 else 0
                        sample_flags = struct.unpack_from(">I", moof, at)[0]
                    elif default_flags is not None:
                        sample_flags = default_flags
                    else:
                        return False  # unknown: never start a viewer on it
                    return not sample_flags & SAMPLE_IS_NON_SYNC
    return False


class FragmentPublisher:
    """Reads one relay's fragmented MP4 from a pipe and publishes it; one per relay run."""

    def __init__(self, camera_id: int, client: redis.Redis | None = None, stream: str = MAIN):
        self.camera_id = int(camera_id)
        self.stream = stream
        self.camera_ids = [self.camera_id]  # the ids its bytes are published under
        self.client = client or fragments_client()
        self.quiet_until = 0.0  # after a Redis failure: nothing published until then
        self.init_published = False
        self.run_id = secrets.token_hex(6)
        self.init = b""
        self.pending_moof = b""
        self.fragments = 0

    def run(self, stream) -> None:
        """Publish until `stream` ends; a Redis that fails loses fragments, never the relay."""
        buffer = bytearray()
        while True:
            chunk = stream.read1(READ_CHUNK) if hasattr(stream, "read1") else stream.read(READ_CHUNK)
            if not chunk:
                break
            buffer += chunk
            consumed = 0
            for kind, _start, end in boxes(buffer):
                if end - consumed > MAX_BOX:
                    break
                try:
                    self.take(kind, bytes(buffer[consumed:end]))
                except redis.RedisError:
                    logger.warning(
                        "camera %s: fragments not published for %.0f s",
                        self.camera_id,
                        REDIS_BACKOFF_S,
                        exc_info=True,
                    )
                    self.quiet_until = time.monotonic() + REDIS_BACKOFF_S
                    self.init_published = False
                consumed = end
            del buffer[:consumed]
            if len(buffer) > MAX_BOX:
                logger.warning("camera %s: unreadable fragmented MP4, dropped", self.camera_id)
                buffer.clear()

    def take(self, kind: bytes, box: bytes) -> None:
        if kind in (b"ftyp", b"moov"):
            self.init += box
        elif kind == b"moof":
            self.pending_moof = box
        elif kind == b"mdat" and self.pending_moof:
            fragment, self.pending_moof = self.pending_moof + box, b""
            if time.monotonic() < self.quiet_until:
                return
            keyframe = starts_with_keyframe(fragment)
            if not self.init_published:
                if not keyframe:
                    return  # a viewer starts at a keyframe, after the init segment
                self.publish_init()
                self.init_published = True
            self.publish_fragment(fragment, keyframe)

    def publish_init(self) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for camera_id in self.camera_ids:
                pipe.hset(init_key(camera_id, self.stream), mapping={"run": self.run_id, "data": self.init})
                pipe.expire(init_key(camera_id, self.stream), KEYS_TTL_S)
            pipe.execute()

    def publish_fragment(self, data: bytes, keyframe: bool) -> None:
        fields = {"d": data, "k": b"1" if keyframe else b"0", "r": self.run_id, "t": int(time.time() * 1000)}
        with self.client.pipeline(transaction=False) as pipe:
            for camera_id in self.camera_ids:
                pipe.xadd(
                    stream_key(camera_id, self.stream), fields, maxlen=STREAM_FRAGMENTS, approximate=True
                )
            results = pipe.execute()
            if keyframe or self.fragments % 25 == 0:
                for camera_id, entry_id in zip(self.camera_ids, results, strict=True):
                    if keyframe:
                        pipe.set(keyframe_key(camera_id, self.stream), entry_id, ex=KEYS_TTL_S)
                    for key in (
                        stream_key(camera_id, self.stream),
                        init_key(camera_id, self.stream),
                        keyframe_key(camera_id, self.stream),
                    ):
                        pipe.expire(key, KEYS_TTL_S)
                pipe.execute()
        self.fragments += 1

    def clear(self) -> None:
        """Forget this run's keys (the relay stopped): no viewer starts on what is left."""
        try:
            for camera_id in self.camera_ids:
                if self.client.hget(init_key(camera_id, self.stream), "run") == self.run_id.encode():
                    self.client.delete(
                        init_key(camera_id, self.stream),
                        keyframe_key(camera_id, self.stream),
                        stream_key(camera_id, self.stream),
                    )
        except redis.RedisError:
            logger.warning("camera %s: fragments not cleared", self.camera_id, exc_info=True)

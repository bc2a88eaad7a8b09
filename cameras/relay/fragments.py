"""Low-latency fragments of a relayed camera: fragmented MP4 from ffmpeg, published to Redis streams.

The relay's ffmpeg writes one more output, the same stream copy as the HLS output, as
fragmented MP4 with one fragment per frame (`movflags`, below) into a pipe. The node reads
that pipe, splits it into boxes and, while a wall's socket watches the camera, publishes:

- the initialisation segment (`ftyp` + `moov`) under `<prefix>:live:<id>:init`, with the run it
  belongs to (a restarted relay is a new run, whose fragments need its own init);
- every fragment (`moof` + `mdat`) as an entry of the stream `<prefix>:live:<id>`: its bytes,
  whether it starts with a keyframe, its run and the node's clock when it was read, capped at
  `STREAM_FRAGMENTS` entries;
- the id of the newest keyframe fragment under `<prefix>:live:<id>:key`: where a new viewer starts.

A camera's substream (docs/wall.md, "Substreams") has the same three keys under
`<prefix>:live:<id>:sub` (`:sub:init`, `:sub:key`, `:sub:watched`).

Who watches: each socket that reads a camera keeps `<prefix>:live:<id>:watched` alive (a
short TTL, renewed while it reads: cameras/live_stream/streams.py), and one thread per node
reads those keys for every relay of the node in one `MGET` a quarter second (`WatchPoll`).
A camera nobody watches costs the node almost nothing: its pipe is enlarged and drained in
one read about once a second, and only the init segment and the fragments since the newest
keyframe are kept, in memory. When a socket starts watching, that init segment and keyframe
group are published at once (a viewer's first frame does not wait for the next keyframe),
and from then on every fragment as it comes, until the mark lapses.

The web tier reads the streams for the sockets of the walls (`cameras/live_stream/`). Nothing
here decides who may see the bytes: every socket checks that on its own, as the media
endpoints do for HLS, before it marks a camera watched. The keys expire a few seconds after
the last fragment, so a relay that died leaves nothing that looks live.
"""

import fcntl
import logging
import os
import secrets
import struct
import termios
import threading
import time

import redis
from django.conf import settings

from cameras.relay.threads import name_native_thread

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
# A socket renews its camera's mark every second; a mark outlives two missed renewals.
WATCHED_TTL_MS = 3000
WATCHED_RENEW_S = 1.0
WATCH_POLL_S = 0.25
# An unwatched pipe is drained this often, or sooner when the stream would fill a quarter of it.
IDLE_READ_S = 1.0
PIPE_SIZE = 1024 * 1024  # or /proc/sys/fs/pipe-max-size, if lower
MAX_GOP = 8 * 1024 * 1024  # a keyframe group kept for a viewer to start on; larger: none kept
# A read asks for what the pipe holds (FIONREAD), and for this much when it holds nothing yet:
# below malloc's mmap threshold, so the read's buffer comes from the heap. A read of a megabyte
# maps, faults in and unmaps a fresh buffer each time, whatever it gets: for an unwatched
# relay that cost more than everything else its reader does (perf: page clearing, TLB shootdowns).
EMPTY_PIPE_READ = 64 * 1024

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


def watched_key(camera_id: int, stream: str = MAIN) -> str:
    return stream_key(camera_id, stream) + ":watched"


def enlarge_pipe(fd: int) -> int:
    """Make the pipe hold up to PIPE_SIZE (as the system allows); the size it holds now."""
    try:
        with open("/proc/sys/fs/pipe-max-size") as limit:
            wanted = min(PIPE_SIZE, int(limit.read()))
    except (OSError, ValueError):
        wanted = PIPE_SIZE
    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, wanted)
    except OSError:
        pass  # a user past its pipe pages (pipe-user-pages-soft): what it has, read sooner
    try:
        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
    except OSError:
        return 65536


def waiting_bytes(fd: int) -> int:
    """How many bytes the pipe holds now; 0 where the system cannot say."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0


def read_waiting(fd: int, limit: int) -> bytes:
    """What the pipe holds, up to `limit`; when it holds nothing, wait for some (b"" at its end)."""
    return os.read(fd, min(limit, waiting_bytes(fd)) or min(limit, EMPTY_PIPE_READ))


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
    """Reads one relay's fragmented MP4 from a pipe and publishes it while watched; one per relay run."""

    def __init__(self, camera_id: int, client: redis.Redis | None = None, stream: str = MAIN):
        self.camera_id = int(camera_id)
        self.stream = stream
        self.camera_ids = [self.camera_id]  # the ids its bytes are published under
        self.client = client or fragments_client()
        self.quiet_until = 0.0  # after a Redis failure: nothing published until then
        self.run_id = secrets.token_hex(6)
        self.init = b""
        self.pending_moof = b""
        self.fragments = 0  # published
        # The fragments since the newest keyframe, with their times: where a new viewer starts.
        self.group: list[tuple[bytes, int]] = []
        self.group_bytes = 0
        self.last_ms = 0
        self.watched = False  # set by the node's WatchPoll
        self.publishing = False  # init and newest keyframe group out, each fragment as it comes
        self.woken = threading.Event()

    def set_watched(self, watched: bool) -> None:
        if watched != self.watched:
            self.watched = watched
            self.woken.set()

    def run(self, stream) -> None:
        """Publish until `stream` ends; ffmpeg never waits on it, whatever Redis does."""
        fd = stream.fileno()
        capacity = enlarge_pipe(fd)
        watch_poll.add(self)
        buffer = bytearray()
        interval = IDLE_READ_S
        read_at = time.monotonic()
        try:
            while True:
                if self.watched and time.monotonic() >= self.quiet_until:
                    chunk = read_waiting(fd, READ_CHUNK)  # a fragment a frame: read as each comes
                else:
                    # Unwatched: one read for everything since the last, and seldom.
                    if self.woken.wait(interval):
                        self.woken.clear()
                    chunk = read_waiting(fd, capacity)
                    now = time.monotonic()
                    rate = len(chunk) / max(now - read_at, 0.001)
                    read_at = now
                    interval = min(IDLE_READ_S, capacity / 4 / rate) if rate else IDLE_READ_S
                if not chunk:
                    break
                buffer += chunk
                self.feed(buffer)
                try:
                    if self.watched and not self.publishing and time.monotonic() >= self.quiet_until:
                        self.publish_start()
                    elif not self.watched:
                        self.publishing = False
                except redis.RedisError:
                    self.redis_failed()
        finally:
            watch_poll.discard(self)

    def feed(self, buffer: bytearray) -> None:
        consumed = 0
        for kind, _start, end in boxes(buffer):
            if end - consumed > MAX_BOX:
                break
            try:
                self.take(kind, bytes(buffer[consumed:end]))
            except redis.RedisError:
                self.redis_failed()
            consumed = end
        del buffer[:consumed]
        if len(buffer) > MAX_BOX:
            logger.warning("camera %s: unreadable fragmented MP4, dropped", self.camera_id)
            buffer.clear()

    def redis_failed(self) -> None:
        logger.warning(
            "camera %s: fragments not published for %.0f s", self.camera_id, REDIS_BACKOFF_S, exc_info=True
        )
        self.quiet_until = time.monotonic() + REDIS_BACKOFF_S
        self.publishing = False

    def take(self, kind: bytes, box: bytes) -> None:
        if kind in (b"ftyp", b"moov"):
            self.init += box
        elif kind == b"moof":
            self.pending_moof = box
        elif kind == b"mdat" and self.pending_moof:
            fragment, self.pending_moof = self.pending_moof + box, b""
            keyframe = starts_with_keyframe(fragment)
            # Strictly rising: the wall's player takes a fragment no older than the last it took
            # for a repeat, and one drain reads many fragments within a millisecond.
            self.last_ms = max(int(time.time() * 1000), self.last_ms + 1)
            if keyframe:
                self.group, self.group_bytes = [], 0
            if (keyframe or self.group) and self.group_bytes + len(fragment) <= MAX_GOP:
                self.group.append((fragment, self.last_ms))
                self.group_bytes += len(fragment)
            else:
                self.group, self.group_bytes = [], 0  # a viewer waits for the next keyframe
            if self.publishing:
                self.publish_fragment(fragment, keyframe, self.last_ms)

    def publish_start(self) -> None:
        """The init segment and the newest keyframe group at once; every fragment after as it comes."""
        if not self.init or not self.group:
            return  # nothing a viewer can start on yet: at the next keyframe
        with self.client.pipeline(transaction=False) as pipe:
            for camera_id in self.camera_ids:
                pipe.hset(init_key(camera_id, self.stream), mapping={"run": self.run_id, "data": self.init})
                pipe.expire(init_key(camera_id, self.stream), KEYS_TTL_S)
                for fragment, at_ms in self.group:
                    pipe.xadd(stream_key(camera_id, self.stream), self.fields(fragment, fragment is self.group[0][0], at_ms),
                              maxlen=STREAM_FRAGMENTS, approximate=True)  # fmt: skip
            results = pipe.execute()
            per_camera = 2 + len(self.group)
            for n, camera_id in enumerate(self.camera_ids):
                pipe.set(keyframe_key(camera_id, self.stream), results[n * per_camera + 2], ex=KEYS_TTL_S)
                pipe.expire(stream_key(camera_id, self.stream), KEYS_TTL_S)
            pipe.execute()
        self.fragments += len(self.group)
        self.publishing = True

    def publish_init(self) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for camera_id in self.camera_ids:
                pipe.hset(init_key(camera_id, self.stream), mapping={"run": self.run_id, "data": self.init})
                pipe.expire(init_key(camera_id, self.stream), KEYS_TTL_S)
            pipe.execute()

    def fields(self, data: bytes, keyframe: bool, at_ms: int) -> dict:
        return {"d": data, "k": b"1" if keyframe else b"0", "r": self.run_id, "t": at_ms}

    def publish_fragment(self, data: bytes, keyframe: bool, at_ms: int) -> None:
        fields = self.fields(data, keyframe, at_ms)
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


class WatchPoll:
    """Which of a process's publishers some socket watches: one MGET for all of them a quarter
    second, in one thread that runs while there are publishers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.publishers: set[FragmentPublisher] = set()
        self.thread: threading.Thread | None = None
        self.failing = False

    def add(self, publisher: FragmentPublisher) -> None:
        with self.lock:
            self.publishers.add(publisher)
            if self.thread is None:
                self.thread = threading.Thread(target=self.poll, name="fragments-watch", daemon=True)
                self.thread.start()

    def discard(self, publisher: FragmentPublisher) -> None:
        with self.lock:
            self.publishers.discard(publisher)

    def poll(self) -> None:
        name_native_thread("watch-poll")
        while True:
            with self.lock:
                if not self.publishers:
                    self.thread = None
                    return
                publishers = list(self.publishers)
            self.poll_once(publishers)
            time.sleep(WATCH_POLL_S)

    def poll_once(self, publishers: list[FragmentPublisher]) -> None:
        by_client: dict[int, tuple[redis.Redis, list]] = {}
        for publisher in publishers:
            ids = list(publisher.camera_ids)
            by_client.setdefault(id(publisher.client), (publisher.client, []))[1].append((publisher, ids))
        for client, watchers in by_client.values():
            keys = [
                watched_key(camera_id, publisher.stream) for publisher, ids in watchers for camera_id in ids
            ]
            try:
                marks = iter(client.mget(keys) if keys else [])
            except redis.RedisError:
                if not self.failing:
                    logger.warning("fragments: cannot read which cameras are watched", exc_info=True)
                self.failing = True
                marks = iter([None] * len(keys))
            else:
                self.failing = False
            for publisher, ids in watchers:
                publisher.set_watched(any([next(marks) is not None for _ in ids]))


watch_poll = WatchPoll()

"""A camera's snapshot, made from the newest HLS segment of its relay when it is asked for.

The relay's ffmpeg no longer decodes a keyframe every second for a picture few look at:
whoever serves a snapshot calls `fresh_snapshot`, which decodes the first keyframe of the
newest segment in the live window (every segment begins with one) into
`live/<id>/snapshot.jpg`, at most 320 px wide, only when that segment is newer than the file.
So the decoding is paid once per segment, and only for cameras someone looks at.

The segments of a camera with privacy masks are masked already (its relay burns the masks
into the stream), so are its snapshots. Without a live window (the relay stopped or has not
started), the last picture made is returned as it is; the camera's status says it is not live.

A camera whose substream alone is relayed (grid tiles show it, docs/relay-fleet.md) has no
HLS window: its snapshot is decoded from the substream's newest keyframe fragment and init
segment, which its relay keeps in Redis while a wall watches it (cameras/relay/fragments.py),
once per keyframe. A masked camera never has its substream relayed, and none is decoded for it.
"""

import fcntl
import logging
import os
import subprocess
from pathlib import Path

from cameras.models import Camera
from cameras.relay import layout
from cameras.relay.fragments import SUB, fragments_client, init_key, keyframe_key, stream_key
from cameras.relay.window import newest_segment
from rtcc.ffmpeg import find_ffmpeg

logger = logging.getLogger(__name__)

SNAPSHOT_MAX_WIDTH = 320
DECODE_TIMEOUT_S = 10
LOCK_NAME = "snapshot.lock"
# {camera id: the segment whose decode failed}: a broken segment costs one decode per process,
# not one per request.
_failed: dict[int, tuple[str, int]] = {}


def fresh_snapshot(camera_id: int) -> Path | None:
    """The snapshot's path, made again first if the live window holds a newer segment; None if there is none."""
    path = layout.snapshot_path(camera_id)
    segment = newest_segment(camera_id)
    if segment is None:
        return substream_snapshot(camera_id)
    if is_newer(path, segment):
        return path if path.is_file() else None
    if _failed.get(camera_id) == segment_key(segment):
        return path if path.is_file() else None  # this segment did not decode: not tried again
    try:
        # One decode per camera at a time, and nobody waits for it: a request that finds one
        # under way is answered with the picture there is (at most a segment older).
        with open(layout.live_dir(camera_id) / LOCK_NAME, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not is_newer(path, segment):
                try:
                    decode_keyframe(segment, path)
                except (OSError, subprocess.SubprocessError):
                    _failed[camera_id] = segment_key(segment)
                    raise
                if not segment.exists():
                    # The window was cleared meanwhile (a revoke, a masked relay starting again):
                    # no picture made from what it held stays behind.
                    path.unlink(missing_ok=True)
    except BlockingIOError:
        pass
    except (OSError, subprocess.SubprocessError):
        # The segment left the window while it was read, or the window was cleared.
        logger.info("snapshot of camera %s not made from %s", camera_id, segment.name, exc_info=True)
    return path if path.is_file() else None


# {camera id: the substream keyframe entry its snapshot was decoded from}: one decode per keyframe.
_substream_made: dict[int, bytes] = {}


def substream_snapshot(camera_id: int) -> Path | None:
    """The snapshot, made again first from the substream's newest keyframe when that is newer;
    None if there is no picture at all. Only for a camera whose substream alone is relayed."""
    path = layout.snapshot_path(camera_id)
    if Camera.objects.filter(pk=camera_id, privacy_masks__isnull=False).exists():
        # Masked: its substream is never shown, so no picture of it is either, even one made
        # before the mask (the main relay that would make a masked one may not be running).
        path.unlink(missing_ok=True)
        return None
    made = path if path.is_file() else None
    try:
        client = fragments_client()
        with client.pipeline(transaction=False) as pipe:
            pipe.get(keyframe_key(camera_id, SUB))
            pipe.hgetall(init_key(camera_id, SUB))
            entry_id, init = pipe.execute()
        if entry_id is None or not init.get(b"data") or _substream_made.get(camera_id) == entry_id:
            return made
        entries = client.xrange(stream_key(camera_id, SUB), entry_id, entry_id)
    except Exception:  # Redis down or slow: the picture there is
        logger.info("snapshot of camera %s: substream not read", camera_id, exc_info=True)
        return made
    if not entries or entries[0][1].get(b"r") != init.get(b"run"):
        return made  # the keyframe of another run than the init segment: wait for the next
    _substream_made[camera_id] = entry_id
    try:
        layout.live_dir(camera_id).mkdir(parents=True, exist_ok=True)
        with open(layout.live_dir(camera_id) / LOCK_NAME, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            decode_keyframe(None, path, data=init[b"data"] + entries[0][1][b"d"])
    except BlockingIOError:
        pass
    except (OSError, subprocess.SubprocessError):
        logger.info("snapshot of camera %s not made from its substream", camera_id, exc_info=True)
    return path if path.is_file() else None


def segment_key(segment: Path) -> tuple[str, int]:
    try:
        return segment.name, segment.stat().st_mtime_ns
    except OSError:
        return segment.name, 0


def is_newer(path: Path, segment: Path) -> bool:
    """Whether the picture at `path` was made after `segment` was written (or the segment is gone)."""
    try:
        made = path.stat().st_mtime_ns
    except OSError:
        return False
    try:
        return made >= segment.stat().st_mtime_ns
    except OSError:
        return True  # the segment left the window: nothing newer to make the picture from


def decode_keyframe(segment: Path | None, path: Path, data: bytes | None = None) -> None:
    """The first keyframe of `segment` (or of the MP4 bytes `data`) as a JPEG at `path`, replaced
    by rename (never half-written)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    argv = [
        find_ffmpeg().path,
        *("-hide_banner", "-loglevel", "error", "-y"),
        *(("-nostdin",) if data is None else ()),
        *("-skip_frame", "nokey", "-threads", "1", "-i", "pipe:0" if data is not None else str(segment)),
        *("-map", "0:v:0", "-frames:v", "1"),
        *("-vf", f"scale=w='min({SNAPSHOT_MAX_WIDTH},iw)':h=-2", "-q:v", "5"),
        *("-f", "image2", "-update", "1", str(partial)),
    ]
    try:
        result = subprocess.run(  # noqa: S603
            argv, input=data, capture_output=True, timeout=DECODE_TIMEOUT_S, check=False
        )
        if result.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise OSError(result.stderr.decode("utf-8", "replace").strip()[-300:] or "no picture")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)

"""A camera's snapshot, made from the newest HLS segment of its relay when it is asked for.

The relay's ffmpeg no longer decodes a keyframe every second for a picture few look at:
whoever serves a snapshot calls `fresh_snapshot`, which decodes the first keyframe of the
newest segment in the live window (every segment begins with one) into
`live/<id>/snapshot.jpg`, at most 320 px wide, only when that segment is newer than the file.
So the decoding is paid once per segment, and only for cameras someone looks at.

The segments of a camera with privacy masks are masked already (its relay burns the masks
into the stream), so are its snapshots. Without a live window (the relay stopped or has not
started), the last picture made is returned as it is; the camera's status says it is not live.
"""

import fcntl
import logging
import os
import subprocess
from pathlib import Path

from cameras.relay import layout
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
    if segment is None or is_newer(path, segment):
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


def decode_keyframe(segment: Path, path: Path) -> None:
    """The segment's first keyframe as a JPEG at `path`, replaced by rename (never half-written)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    argv = [
        find_ffmpeg().path,
        *("-hide_banner", "-nostdin", "-loglevel", "error", "-y"),
        *("-skip_frame", "nokey", "-threads", "1", "-i", str(segment)),
        *("-map", "0:v:0", "-frames:v", "1"),
        *("-vf", f"scale=w='min({SNAPSHOT_MAX_WIDTH},iw)':h=-2", "-q:v", "5"),
        *("-f", "image2", "-update", "1", str(partial)),
    ]
    try:
        result = subprocess.run(argv, capture_output=True, timeout=DECODE_TIMEOUT_S, check=False)  # noqa: S603
        if result.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            raise OSError(result.stderr.decode("utf-8", "replace").strip()[-300:] or "no picture")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)

"""Pre-encoded clips for simulated cameras: encoded once, then pushed in a loop with `-c copy`.

A camera simulated by encoding a test pattern live costs a few percent of a core; sixty-four
of them take a small machine's cores from what they feed. A clip encoded once per picture
(the camera's label, size and rate) and looped with stream copy costs almost nothing to
push. The clips are kept in a cache folder under a name derived from what they show, so a
second demo run, or a device calling again, reuses the file instead of encoding it again.
"""

import hashlib
import os
import subprocess
from pathlib import Path

from cameras.simulator import TEXT_STYLE, camera_label, has_filter
from rtcc.ffmpeg import find_ffmpeg

CLIP_SECONDS = 4  # whole 1 s GOPs: every loop starts on a keyframe
CLIP_VERSION = 1  # bump when the picture below changes, so cached clips are made again


def clip_filter(label: str, ffmpeg_path: str) -> str:
    if not has_filter(ffmpeg_path, "drawtext"):
        return "null"  # this ffmpeg cannot draw text: testsrc2's own counter still moves
    # No wall clock: a looped clip would show a time that repeats; the wall shows a tile's
    # latency on hover instead.
    return (
        f"drawtext=text='{label}':x=8:y=h-48:{TEXT_STYLE},drawtext=text='looped clip':x=8:y=h-24:{TEXT_STYLE}"
    )


def clip_path(cache_dir: Path, name: str, width: int, height: int, fps: int, bitrate: str = "300k") -> Path:
    key = f"{CLIP_VERSION}|{camera_label(name)}|{width}x{height}|{fps}|{bitrate}"
    return Path(cache_dir) / f"clip-{width}x{height}-{fps}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.ts"


def prepared_clip(
    cache_dir: Path,
    name: str,
    *,
    width: int = 320,
    height: int = 240,
    fps: int = 15,
    bitrate: str = "300k",
    ffmpeg_path=None,
) -> Path:
    """The clip showing `name` at this size, rate and bitrate, encoded now only if the cache lacks it."""
    clip = clip_path(cache_dir, name, width, height, fps, bitrate)
    if clip.exists():
        return clip
    clip.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg_path = ffmpeg_path or find_ffmpeg().path
    partial = clip.with_suffix(f".{os.getpid()}.part")
    subprocess.run(  # noqa: S603 -- an argument list, no shell
        [
            ffmpeg_path,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=size={width}x{height}:rate={fps}",
            "-t",
            str(CLIP_SECONDS),
            "-vf",
            clip_filter(camera_label(name), ffmpeg_path),
            # As the live simulator: x264 with a keyframe a second (1 s HLS segments with stream copy).
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-threads",
            "1",
            "-g",
            str(fps),
            "-keyint_min",
            str(fps),
            "-b:v",
            bitrate,
            "-pix_fmt",
            "yuv420p",
            "-f",
            "mpegts",
            str(partial),
        ],  # fmt: skip
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=True,
        timeout=120,
    )
    partial.replace(clip)  # whole or not at all: a reader never finds half a clip
    return clip

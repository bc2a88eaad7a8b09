"""Cut a clip from a camera's recording segments: ffmpeg stream copy into MP4, with a SHA-256 manifest.

Recordings are ~10 s MPEG-TS segments named by their UTC start time
(`<YYYYmmddTHHMMSSZ>.ts`) in the camera's recordings folder. A clip is the run of whole
segments that covers the requested window: stream copy can only cut at keyframes, and
whole segments keep every byte traceable to a hashed source file in the manifest.
"""

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings

from cameras.relay.layout import recordings_dir
from rtcc.ffmpeg import find_ffmpeg

SEGMENT_NAME_FORMAT = "%Y%m%dT%H%M%SZ"
# A segment's end is the next one's start; the last one is taken to last this long.
NOMINAL_SEGMENT = timedelta(seconds=10)
# A gap longer than this between two segments is a hole in the recording, said in the manifest.
GAP_TOLERANCE = timedelta(seconds=2)
FFMPEG_TIMEOUT_S = 600


class ClipError(Exception):
    """The clip could not be made; the message says why, for the owner and the audit."""


@dataclass(frozen=True)
class Segment:
    path: Path
    start: datetime
    end: datetime


def exports_dir(camera_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(camera_id)


def parse_stamp(name: str) -> datetime | None:
    """The UTC time a segment's or a playlist's name (YYYYmmddTHHMMSSZ) stands for; None if it is none."""
    try:
        return datetime.strptime(name, SEGMENT_NAME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def segment_start(path: Path) -> datetime | None:
    return parse_stamp(path.stem)


def list_segments(camera_id: int) -> list[Segment]:
    """Every readable segment of the camera, oldest first, each ending where the next begins."""
    folder = recordings_dir(camera_id)
    if not folder.is_dir():
        return []
    starts = sorted(
        (start, path)
        for path in folder.glob("*.ts")
        if (start := segment_start(path)) is not None and path.stat().st_size > 0
    )
    segments = []
    for index, (start, path) in enumerate(starts):
        following = starts[index + 1][0] if index + 1 < len(starts) else None
        end = min(following, start + NOMINAL_SEGMENT) if following else start + NOMINAL_SEGMENT
        segments.append(Segment(path, start, end))
    return segments


def segments_covering(camera_id: int, start: datetime, end: datetime) -> list[Segment]:
    return [segment for segment in list_segments(camera_id) if segment.start < end and segment.end > start]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gaps_in(segments: list[Segment], start: datetime, end: datetime) -> list[dict]:
    """Stretches of the window no segment covers, so a reader knows the clip is not continuous."""
    gaps = []
    cursor = start
    for segment in segments:
        if segment.start - cursor > GAP_TOLERANCE:
            gaps.append({"from": cursor.isoformat(), "to": segment.start.isoformat()})
        cursor = max(cursor, segment.end)
    if end - cursor > GAP_TOLERANCE:
        gaps.append({"from": cursor.isoformat(), "to": end.isoformat()})
    return gaps


def ffmpeg_argv(*arguments: str) -> list[str]:
    """ffmpeg quiet but for errors, overwriting its output, reading no keyboard, with `arguments`."""
    return [find_ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *arguments]


def run_ffmpeg(argv: list[str], output: Path, doing: str, *, inputs_to_remove: tuple[Path, ...] = ()) -> None:
    """Run ffmpeg to make `output`; ClipError saying what failed (`doing`: "cut the clip").

    On any failure `output` is removed; `inputs_to_remove` (files written for this run) go either way.
    """
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT_S, check=False)
        if result.returncode != 0 or output.stat().st_size == 0:
            raise ClipError(f"ffmpeg could not {doing}: {result.stderr.strip()[-300:] or 'no output'}")
    except subprocess.TimeoutExpired:
        output.unlink(missing_ok=True)
        raise ClipError(f"ffmpeg took too long to {doing}.") from None
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    finally:
        for path in inputs_to_remove:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Clip:
    path: Path  # a temporary file; the caller moves it into place or deletes it
    sha256: str
    size: int
    segments: list[dict]
    gaps: list[dict]
    covers: tuple[datetime, datetime]


def cut_clip(camera_id: int, start: datetime, end: datetime) -> Clip:
    """Concatenate the segments covering [start, end) into a temporary MP4; raise ClipError if none."""
    segments = segments_covering(camera_id, start, end)
    if not segments:
        raise ClipError("No recordings of this camera cover the requested window.")
    folder = exports_dir(camera_id)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, output = tempfile.mkstemp(prefix=".clip-", suffix=".mp4", dir=folder)
    os.close(descriptor)
    output = Path(output)
    listing = output.with_suffix(".txt")
    # Our own file names only, never user input; quotes are escaped as the concat format asks.
    listing.write_text("".join("file '{}'\n".format(str(s.path).replace("'", "'\\''")) for s in segments))
    argv = ffmpeg_argv(
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(listing),
        "-map",
        "0",
        "-c",
        "copy",
        "-bsf:a",
        "aac_adtstoasc",
        "-movflags",
        "+faststart",
        str(output),
    )
    run_ffmpeg(argv, output, "cut the clip", inputs_to_remove=(listing,))
    return Clip(
        path=output,
        sha256=sha256_of(output),
        size=output.stat().st_size,
        segments=[
            {
                "name": segment.path.name,
                "start": segment.start.isoformat(),
                "end": segment.end.isoformat(),
                "size": segment.path.stat().st_size,
                "sha256": sha256_of(segment.path),
            }
            for segment in segments
        ],
        gaps=gaps_in(segments, start, end),
        covers=(segments[0].start, segments[-1].end),
    )

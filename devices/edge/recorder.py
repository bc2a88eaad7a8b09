"""The box's ring buffer: one ffmpeg per local camera writing 10 s MPEG-TS segments named by their UTC
start (`<YYYYmmddTHHMMSSZ>.ts`, as the hub names its own), oldest deleted beyond the configured
days or gigabytes. It records whatever the hub does: a box keeps its video through a network
outage, and an on-demand camera answers footage requests from here (`upload.py`)."""

import contextlib
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .push import TEST_PATTERN, Child, find_ffmpeg, input_arguments, live_h264

SEGMENT_SECONDS = 10
SEGMENT_FORMAT = "%Y%m%dT%H%M%SZ"


def segment_start(path: Path) -> datetime | None:
    """When a segment began, read from its name; None for a file that is no segment."""
    with contextlib.suppress(ValueError):
        return datetime.strptime(path.stem, SEGMENT_FORMAT).replace(tzinfo=UTC)
    return None


def segments(folder: Path) -> list[Path]:
    """The finished segments, oldest first: the newest file is still being written."""
    found = sorted(p for p in folder.glob("*.ts") if segment_start(p) is not None)
    return found[:-1]


def prune(folder: Path, *, keep_days: float, keep_bytes: int, now: datetime | None = None) -> int:
    """Delete the oldest segments beyond the ring's size; how many went."""
    now = now or datetime.now(UTC)
    files = segments(folder)
    total = sum(p.stat().st_size for p in files)
    deleted = 0
    for path in files:
        too_old = segment_start(path) < now - timedelta(days=keep_days)
        if not too_old and total <= keep_bytes:
            break
        total -= path.stat().st_size
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted


class Recorder(Child):
    """One camera's segment writer; restart it by stopping and starting a new one."""

    def __init__(self, camera_id: int, source: str, folder: Path):
        self.camera_id, self.source, self.folder = camera_id, source, folder
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    def argv(self) -> list[str]:
        video = live_h264(keyframe_every=15) if self.source.startswith(TEST_PATTERN) else ["-c:v", "copy"]
        return [
            find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error",
            *input_arguments(self.source), "-an", *video,
            "-f", "segment", "-segment_time", str(SEGMENT_SECONDS), "-segment_format", "mpegts",
            "-reset_timestamps", "1", "-strftime", "1", str(self.folder / f"{SEGMENT_FORMAT}.ts"),
        ]  # fmt: skip

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.started_at = time.monotonic()
        # UTC names whatever the box's time zone.
        env = {**os.environ, "TZ": "UTC"}
        self.process = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )

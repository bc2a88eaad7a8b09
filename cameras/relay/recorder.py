"""Recordings cut from the relay's own HLS segments, instead of a second muxer in ffmpeg.

The relay's ffmpeg already writes 1 s MPEG-TS segments for the wall. Each completed segment of
a recording relay is appended, bytes as they are, to the current recording file
(`recordings/<id>/<YYYYmmddTHHMMSSZ>.ts`, layout.RECORDING_PATTERN), and a new file begins
when a segment starts in another 10 s step of the UTC clock: the files are cut where
`-f segment -segment_atclocktime 1` cut them (at the first keyframe past each multiple of 10 s)
and are named, as those were, by the UTC time their first segment started.

Why byte appends (by the kernel: `copy_file_range`) and not hard links: a recording is ten HLS segments, and a link can only
name one. MPEG-TS is a run of self-contained 188-byte packets and every HLS segment begins
with its PAT and PMT, so ten segments one after another are one valid stream whose
timestamps run on (the HLS muxer does not reset them between segments).

What is complete: a segment listed in the playlist. The muxer writes each segment under a
temporary name (`temp_file`) and renames it before it lists it, and keeps it on disk for the
whole window (6 segments, `delete_segments`) plus one: a reader that looks at least every few
seconds never misses one. Each segment's start is its `#EXT-X-PROGRAM-DATE-TIME`, and its
media sequence number says which were taken already.

One `Recorder` lives as long as one ffmpeg run: a restarted relay begins a new file (its
timestamps start again), never appends to a file an earlier run left. An append that fails
half-way is cut back to the file's size before it, so no recording ends in half a segment.
"""

import errno
import logging
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cameras.relay import layout
from cameras.relay.window import ListedSegment, listed_segments

logger = logging.getLogger(__name__)

RECORDING_STEP_S = 10
# A program date-time further than this from the segment's file time is not believed.
CLOCK_SLACK_S = 2.0


def step_of(moment: datetime) -> int:
    return int(moment.timestamp()) // RECORDING_STEP_S


class Recorder:
    """Appends one relay's completed HLS segments to its 10 s recording files."""

    def __init__(self, camera_id: int):
        self.camera_id = camera_id
        self.live = layout.live_dir(camera_id)
        self.folder = layout.recordings_dir(camera_id)
        self.last_sequence: int | None = None
        self.current: Path | None = None
        self.current_step: int | None = None
        self.clock_correction = timedelta(0)
        self.lock = threading.Lock()

    def collect(self, listed: list[ListedSegment] | None = None) -> int:
        """Append every segment listed since the last call; how many were appended.

        `listed`: the window as the caller just read it; read here when not given.
        """
        with self.lock:
            if listed is None:
                listed = listed_segments(self.camera_id)  # [] before the first segment, or once cleared
            fresh = [s for s in listed if self.last_sequence is None or s.sequence > self.last_sequence]
            if fresh and self.last_sequence is not None and fresh[0].sequence > self.last_sequence + 1:
                logger.warning(
                    "recording of camera %s: segments %s to %s left the window before they were recorded",
                    self.camera_id,
                    self.last_sequence + 1,
                    fresh[0].sequence - 1,
                )
            appended = 0
            for segment in fresh:
                self.last_sequence = segment.sequence
                try:
                    appended += self.append(segment, self.live / segment.name)
                except FileNotFoundError:
                    logger.warning("recording of camera %s: segment %s is gone", self.camera_id, segment.name)
                except OSError:
                    logger.exception(
                        "recording of camera %s: segment %s not recorded", self.camera_id, segment.name
                    )
            return appended

    def wall_clock_start(self, segment: ListedSegment) -> datetime:
        """The segment's program date-time, moved back to the wall clock if it strayed from it.

        The muxer counts program date-times from its start by the stream's own timestamps,
        which follow the camera's clock: over a long run, or across a jump in the camera's
        timestamps, they can leave the wall clock that recordings were always named by. A
        segment is written when its last frame comes, so its file time less its duration is
        when it began. The correction is kept until it is wrong again, so that neighbouring
        segments never fall either side of a file's cut by turns.
        """
        started = segment.started + self.clock_correction
        try:
            mtime = (self.live / segment.name).stat().st_mtime
        except OSError:
            return started
        written = datetime.fromtimestamp(mtime, UTC) - timedelta(seconds=segment.duration)
        if abs((written - started).total_seconds()) > CLOCK_SLACK_S:
            self.clock_correction = written - segment.started
            return written
        return started

    def append(self, segment: ListedSegment, path: Path) -> bool:
        """Append the segment's file, kernel to kernel (its bytes never pass through Python);
        False for an empty one."""
        source = os.open(path, os.O_RDONLY)
        try:
            length = os.fstat(source).st_size
            if length:
                self.append_open(segment, source, length)
            return bool(length)
        finally:
            os.close(source)

    def append_open(self, segment: ListedSegment, source: int, length: int) -> None:
        started = self.wall_clock_start(segment)
        step = step_of(started)
        # Only forward: a clock correction that moves a start back into an earlier step must
        # not open a file named before the one being written (clips join files by name).
        fresh = self.current is None or step > self.current_step
        if not fresh:
            try:
                # Never O_CREAT here: a file erased under a deletion order is not written again
                # under its old name (a time before the order); the footage goes to a new file.
                fd = os.open(self.current, os.O_WRONLY)
            except FileNotFoundError:
                fresh = True
        if fresh:
            self.current = self.new_file(started)
            self.current_step = max(step, self.current_step or step)
            fd = os.open(self.current, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            # Written at the end by offset, not O_APPEND (which the kernel's copy refuses): this
            # recorder is the file's only writer.
            size = os.fstat(fd).st_size
            try:
                copy_to(fd, size, source, length)
            except OSError:
                os.ftruncate(fd, size)  # never half a segment at a recording's end
                raise
        finally:
            os.close(fd)

    def new_file(self, started: datetime) -> Path:
        """A file named by `started` that no earlier run wrote (a restart within the same second: the next second)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = int(started.timestamp())
        while True:
            path = self.folder / datetime.fromtimestamp(stamp, UTC).strftime(layout.RECORDING_PATTERN)
            if not path.exists():
                return path
            stamp += 1


def copy_to(fd: int, at: int, source: int, length: int) -> None:
    """Copy `length` bytes of `source` from its start to `fd` at `at`, in the kernel where it can."""
    offset = 0
    try:
        while offset < length:
            copied = os.copy_file_range(source, fd, length - offset, offset, at + offset)
            if not copied:
                return  # the source is shorter than it was: what it had is copied
            offset += copied
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL):
            raise
        # Another file system, or a kernel without it: through user space.
        while offset < length:
            data = os.pread(source, min(length - offset, 1 << 20), offset)
            if not data:
                return
            view = memoryview(data)
            while view:
                written = os.pwrite(fd, view, at + offset)
                view, offset = view[written:], offset + written

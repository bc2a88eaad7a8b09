"""One camera's ffmpeg relay: start it, watch its progress and errors, stop it."""

import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone

from cameras.relay import layout
from cameras.relay.argv import build_command, source_for
from cameras.relay.fragments import MAIN, FragmentPublisher
from cameras.relay.gate import Gate
from cameras.relay.http_gate import HttpGate
from cameras.relay.progress import Progress, ProgressParser
from cameras.relay.recorder import Recorder
from cameras.relay.rtsp_gate import RtspGate
from cameras.relay.secrets import SecretPipe, redact
from cameras.relay.threads import RelayThread
from cameras.relay.window import ListedSegment, listed_segments
from cameras.sources import PullTarget, pin_pull_url
from rtcc.ffmpeg import find_ffmpeg

logger = logging.getLogger(__name__)

STDERR_TAIL = 40
START_GRACE_S = 10.0
TRANSCODE_MEMORY_S = 3600.0
LOG_LEVEL = re.compile(r"\[(trace|debug|verbose|info|warning|error|fatal|panic)\] ")
KEPT_LEVELS = {"warning", "error", "fatal", "panic"}
INPUT_VIDEO = re.compile(r"^\s*Stream #0:\d+\S*: Video: (\w+)")

# Sources seen sending video other than H.264, keyed by what identifies the source, with the
# moment seen: they are transcoded from their next start on, for a while (a device may be fixed).
not_h264: dict[tuple, float] = {}


class RelayStartError(ValueError):
    """The relay cannot start (bad spec, refused URL); the message is safe to show."""


@dataclass(frozen=True)
class RelaySpec:
    camera_id: int
    source: str  # "push" (SRT listener, the device calls) or "pull" (rtsp/rtsps/http/https URL)
    url: str = ""  # pull only
    srt_port: int | None = None  # push only
    passphrase: str = ""  # push only: SRT AES-256 passphrase
    stream_id: str = ""  # push only
    masks: tuple[tuple[float, float, float, float], ...] = ()  # (x, y, w, h) fractions; any => transcode
    record: bool = True
    # MAIN: HLS (+ recordings) and the socket's fragments; SUB: the camera's substream, relayed
    # as fragments for the wall's socket only (docs/wall.md, "Substreams").
    stream: str = MAIN

    def __repr__(self):
        # Specs end up in logs and tracebacks: never show the credentials.
        return (
            f"RelaySpec(camera_id={self.camera_id}, source={self.source!r}, url={redact(self.url)!r}, "
            f"srt_port={self.srt_port}, masks={len(self.masks)}, record={self.record}, stream={self.stream})"
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        found = [self.passphrase, self.stream_id]
        if self.url:
            parts = urlsplit(self.url)
            found += [parts.password or "", unquote(parts.password or ""), parts.query]
        return tuple(s for s in found if s)


# In order of precedence: the first pattern found in any line (newest first) gives the reason.
REASONS = [
    (
        re.compile(r"Protocol '([\w+-]+)' not on whitelist", re.I),
        "the source asked for {0}, which is not allowed",
    ),
    (
        re.compile(r"Format not on whitelist", re.I),
        "the source's format is not allowed",
    ),
    (re.compile(r"\b401\b|Unauthorized", re.I), "the camera rejected the user name or password"),
    (re.compile(r"\b403\b|Forbidden", re.I), "the camera refused access (403 Forbidden)"),
    (re.compile(r"\b404\b|Not Found", re.I), "the stream was not found on the camera (404)"),
    (re.compile(r"Connection refused", re.I), "the camera refused the connection"),
    (re.compile(r"timed out|timeout", re.I), "the source did not answer in time"),
    (
        re.compile(r"resolve|Name or service not known|No address", re.I),
        "the camera's host name cannot be resolved",
    ),
    (re.compile(r"Address already in use", re.I), "the relay's port is already in use"),
    (re.compile(r"matches no streams", re.I), "the source sends no video stream"),
    (
        re.compile(r"not currently supported in container|codec not supported", re.I),
        "the source's codec cannot be copied",
    ),
    (
        re.compile(
            r"Error during demuxing|End of file|Connection reset|Broken pipe|Input/output error", re.I
        ),
        "source closed the connection",
    ),
    (re.compile(r"Invalid data found", re.I), "the source sent no video ffmpeg can read"),
]


def reason_from(lines) -> str:
    for pattern, reason in REASONS:
        for line in reversed(lines):
            match = pattern.search(line)
            if match:
                return reason.format(*match.groups())
    return ""


class ChildProcess:
    """A child ffmpeg with start() and stop(): a context manager, with its pid and whether it runs."""

    process: subprocess.Popen | None = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class RelayProcess(ChildProcess):
    """An ffmpeg process relaying one camera to HLS, and its recordings cut from the HLS segments."""

    start_grace_s = START_GRACE_S

    def __init__(self, spec: RelaySpec, *, ffmpeg: str | None = None):
        self.spec = spec
        self.ffmpeg = ffmpeg
        self.process: subprocess.Popen | None = None
        self.progress = Progress()
        self.started_at: datetime | None = None
        self.stopped = False
        self.stderr_tail: deque[str] = deque(maxlen=STDERR_TAIL)
        self.pipe: SecretPipe | None = None
        self.gate: Gate | None = None
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()
        self.argv: list[str] = []
        self.transcode = False
        self.source_codec = ""
        self.codec_error = ""
        self.fragments: FragmentPublisher | None = None
        # Recordings are cut from the HLS segments, by the progress reader once a second.
        self.recorder = Recorder(spec.camera_id) if spec.record else None

    def __repr__(self):
        return f"RelayProcess(camera {self.spec.camera_id}, pid {self.pid}, running {self.is_running})"

    @property
    def returncode(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def start(self) -> None:
        if self.process is not None:
            raise RuntimeError("this relay was already started; make a new RelayProcess")
        spec = self.spec
        if spec.source == "pull":
            try:
                # Again, by the same policy (DNS answers change); the gate connects to the
                # very address checked here, never to a fresh answer for the name.
                target = pin_pull_url(spec.url)
            except ValidationError as error:
                raise RelayStartError(redact(" ".join(error.messages), spec.secrets)) from None
            self.gate = open_gate(target)
        try:
            needs_pipe = source_for(spec, self.gate.url if self.gate else "").secret
        except ValueError as error:
            self.close_gate()
            raise RelayStartError(str(error)) from None
        if spec.stream == MAIN:
            self.prepare_directories()
        if self.ffmpeg is None:
            self.ffmpeg = find_ffmpeg().path
        seen = not_h264.get(self.source_key)
        # A substream is never transcoded (a masked camera has none): fragments or nothing.
        self.transcode = spec.stream == MAIN and (
            bool(spec.masks) or (seen is not None and time.monotonic() - seen < TRANSCODE_MEMORY_S)
        )
        pipe = SecretPipe() if needs_pipe else None
        # The wall's low-latency fragments come through a pipe of their own; a transcoding
        # relay serves HLS only (a second encoder for them would double its cost).
        fragments_read, fragments_write = (None, None) if self.transcode else os.pipe()
        try:
            command = build_command(
                spec,
                ffmpeg_path=self.ffmpeg,
                input_path=str(pipe.path) if pipe else None,
                transcode=self.transcode,
                gate_url=self.gate.url if self.gate else "",
                fragments_fd=fragments_write,
            )
        except ValueError as error:
            close_fds(fragments_read, fragments_write)
            self.close_gate()
            raise RelayStartError(str(error)) from None
        if pipe is not None:
            pipe.open(command.concat_list)
        self.pipe = pipe
        self.argv = command.argv  # credential-free by construction
        try:
            self.process = subprocess.Popen(  # noqa: S603 -- an argument list, no shell
                command.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, killed as one
                close_fds=True,
                pass_fds=(fragments_write,) if fragments_write is not None else (),
                env=relay_environment(),
            )
        except OSError as error:
            close_fds(fragments_read, fragments_write)
            if pipe is not None:
                pipe.close()
            self.close_gate()
            raise RelayStartError(f"ffmpeg could not be started: {error.strerror}") from None
        close_fds(fragments_write)  # ffmpeg holds it: the reader sees the end when ffmpeg exits
        self.started_at = timezone.now()
        logger.info("relay of camera %s started as pid %s", spec.camera_id, self.process.pid)
        self.threads = [
            RelayThread(spec.camera_id, "progress", self.read_progress),
            RelayThread(spec.camera_id, "stderr", self.read_stderr),
        ]
        if fragments_read is not None:
            self.fragments = FragmentPublisher(spec.camera_id, stream=spec.stream)
            self.threads.append(
                RelayThread(
                    spec.camera_id,
                    "fragments",
                    self.read_fragments,
                    args=(os.fdopen(fragments_read, "rb", buffering=0),),
                )
            )
        for thread in self.threads:
            thread.start()

    def read_fragments(self, stream) -> None:
        # Like the progress reader, it must outlive any fault: ffmpeg blocks on a full pipe.
        with stream:
            try:
                self.fragments.run(stream)
            except Exception:
                logger.exception("relay of camera %s: fragments stopped", self.spec.camera_id)
                while stream.read(65536):
                    pass
        self.fragments.clear()

    def prepare_directories(self) -> None:
        live = layout.live_dir(self.spec.camera_id)
        live.mkdir(parents=True, exist_ok=True)
        # A playlist left by an earlier run would look live: clear the window, keep the snapshot;
        # but not a masked camera's, which may have been made before its newest mask (snapshots
        # are made on request, so an old one stays until someone asks after a new segment).
        stale = [*live.glob("seg-*.ts"), *live.glob("*.tmp"), layout.playlist_path(self.spec.camera_id)]
        if self.spec.masks:
            stale.append(layout.snapshot_path(self.spec.camera_id))
        for path in stale:
            path.unlink(missing_ok=True)
        if self.spec.record:
            layout.recordings_dir(self.spec.camera_id).mkdir(parents=True, exist_ok=True)

    @property
    def source_key(self) -> tuple:
        return (self.spec.camera_id, self.spec.source, self.spec.url, self.spec.srt_port)

    def read_progress(self) -> None:
        parser = ProgressParser()
        for raw in self.process.stdout:
            # A reader that died would leave ffmpeg blocked on a full pipe: never let one line kill it.
            try:
                self.take_progress(parser, raw.decode("utf-8", "replace"))
            except Exception:
                logger.exception("relay of camera %s: unreadable progress line", self.spec.camera_id)

    def take_progress(self, parser: ProgressParser, line: str) -> None:
        progress = parser.feed(line)
        if progress is not None and self.spec.stream != MAIN:
            self.progress = progress  # no HLS window: nothing to measure or record
        elif progress is not None:
            # The window read once a second, for the bitrate and the recorder both.
            window = listed_segments(self.spec.camera_id)
            if progress.bitrate_kbps == 0:
                # HLS output has no size in -progress: measure the newest segments instead.
                progress = replace(progress, bitrate_kbps=hls_bitrate_kbps(self.spec.camera_id, window))
            self.progress = progress
            if self.recorder is not None:
                # Each second, with the progress block: well within the segments' ~7 s on disk.
                self.recorder.collect(window)

    def read_stderr(self) -> None:
        for raw in self.process.stderr:
            try:
                self.take_stderr(raw.decode("utf-8", "replace"))
            except Exception:
                logger.exception("relay of camera %s: unreadable log line", self.spec.camera_id)

    def take_stderr(self, text: str) -> None:
        line = redact(text.rstrip(), self.spec.secrets)
        level = LOG_LEVEL.search(line)
        if level:
            line = line[: level.start()] + line[level.end() :]
        if not self.source_codec:
            video = INPUT_VIDEO.search(line)
            if video:
                self.source_codec = video[1]
                self.check_codec()
        if line.strip() and (level is None or level[1] in KEPT_LEVELS):
            with self.lock:
                self.stderr_tail.append(line[:500])

    def check_codec(self) -> None:
        if self.transcode or self.source_codec == "h264":
            return
        if self.spec.stream != MAIN:
            # Never transcoded (docs/wall.md, "Substreams"): browsers could not play it as is.
            self.codec_error = (
                f"the box sends the substream as {self.source_codec} video, not H.264: "
                "it is not relayed; grid tiles play the main stream"
            )
            logger.warning("relay of camera %s: %s", self.spec.camera_id, self.codec_error)
            signal_group(self.process.pid, signal.SIGTERM)
            return
        # Copied as is, it would reach browsers as a stream they cannot play: end this run, so
        # that the supervisor's restart transcodes.
        not_h264[self.source_key] = time.monotonic()
        self.codec_error = (
            f"the camera sends {self.source_codec} video, not H.264: it is transcoded from the next start"
        )
        logger.warning("relay of camera %s: %s", self.spec.camera_id, self.codec_error)
        signal_group(self.process.pid, signal.SIGTERM)

    def kill_now(self) -> None:
        """SIGKILL the process group at once, from any thread; the owner reaps it later with `stop()`."""
        process = self.process
        if process is not None and process.poll() is None:
            signal_group(process.pid, signal.SIGKILL)

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True
        process = self.process
        if process is not None:
            terminate_group(process, timeout)
            for thread in self.threads:
                thread.join(timeout=2.0)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            if self.recorder is not None:
                self.recorder.collect()  # the last segments, written as ffmpeg ended
        if self.pipe is not None:
            self.pipe.close()
        self.close_gate()

    def close_gate(self) -> None:
        if self.gate is not None:
            self.gate.close()

    def is_stalled(self, threshold_s: float = 5.0) -> bool:
        """No new frame for `threshold_s`; before the first frame, counted from the end of the start grace."""
        if self.started_at is None:
            return False
        since = self.progress.last_frame_at or self.started_at + timedelta(seconds=self.start_grace_s)
        return (timezone.now() - since).total_seconds() > threshold_s

    @property
    def stderr_text(self) -> str:
        with self.lock:
            return "\n".join(self.stderr_tail)

    @property
    def gate_reason(self) -> str:
        """What the pull gate refused, or why it could not reach the camera; "" if nothing."""
        return redact(self.gate.reason, self.spec.secrets) if self.gate is not None else ""

    @property
    def last_error(self) -> str:
        """A readable one-line reason the relay is not delivering video, or ""."""
        if self.process is None:
            return ""
        with self.lock:
            lines = list(self.stderr_tail)
        code = self.process.poll()
        if code is not None:
            if self.stopped:
                return ""
            if self.codec_error:
                return self.codec_error
            if self.gate_reason:
                return self.gate_reason
            return reason_from(lines) or (lines[-1] if lines else f"ffmpeg exited with code {code}")
        if self.progress.frames == 0 and self.is_stalled(0):
            if self.spec.source == "push":
                return (
                    "no video from the camera's device yet: it has not connected, or used a wrong passphrase"
                )
            return self.gate_reason or reason_from(lines) or "no video from the source yet"
        if self.is_stalled():
            return self.gate_reason or reason_from(lines) or "no new video frame for several seconds"
        return ""


def open_gate(target: PullTarget) -> Gate:
    return RtspGate(target) if target.scheme in {"rtsp", "rtsps"} else HttpGate(target)


def hls_bitrate_kbps(camera_id: int, window: list[ListedSegment], newest: int = 3) -> float:
    """The video bitrate over the window's newest segments, from their sizes and durations."""
    live = layout.live_dir(camera_id)
    size = seconds = 0.0
    for segment in window[-newest:]:
        try:
            size += (live / segment.name).stat().st_size
        except OSError:
            continue  # deleted as the window moved on
        seconds += segment.duration
    return round(size * 8 / 1000 / seconds, 1) if seconds else 0.0


def terminate_group(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the process group led by `process`, SIGKILL it after `timeout`; reap the leader."""
    if process.poll() is not None:
        return  # reaped: its group id may belong to someone else by now
    signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        signal_group(process.pid, signal.SIGKILL)
        process.wait()


def signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def close_fds(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            os.close(fd)


def relay_environment() -> dict[str, str]:
    # The playlist's program date-times (which recordings are cut and named by) are local
    # time: make local time UTC. Nothing else of
    # ours (database or Redis URLs, keys) needs to reach ffmpeg.
    return {"PATH": os.environ.get("PATH", os.defpath), "TZ": "UTC", "LC_ALL": "C"}

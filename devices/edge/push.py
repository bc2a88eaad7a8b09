"""One ffmpeg per local camera, pushing it to the hub as MPEG-TS over encrypted SRT."""

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import imageio_ffmpeg

TEST_PATTERN = "testsrc:"  # a local camera named so is ffmpeg's own test pattern, for bench tests


@dataclass(frozen=True)
class PushTarget:
    host: str
    port: int
    passphrase: str
    stream_id: str


def find_ffmpeg() -> str:
    explicit = os.environ.get("RTCC_FFMPEG")
    if explicit:
        return explicit
    system = shutil.which("ffmpeg")
    if system:
        return system
    return imageio_ffmpeg.get_ffmpeg_exe()


def input_arguments(source: str) -> list[str]:
    if source.startswith(TEST_PATTERN):
        size = source.removeprefix(TEST_PATTERN) or "320x240"
        return ["-re", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=15"]
    if source.startswith(("rtsp://", "rtsps://")):
        return ["-rtsp_transport", "tcp", "-timeout", "5000000", "-i", source]
    return ["-rw_timeout", "5000000", "-i", source]


def live_h264(keyframe_every: int) -> list[str]:
    """ffmpeg output options encoding H.264 fast and without lookahead, a keyframe every N frames."""
    return [
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-g", str(keyframe_every), "-pix_fmt", "yuv420p",
    ]  # fmt: skip


def push_arguments(ffmpeg: str, source: str, target: PushTarget) -> list[str]:
    query = urlencode(
        {
            "mode": "caller",
            "passphrase": target.passphrase,
            "pbkeylen": 32,
            "streamid": target.stream_id,
            "latency": 200000,
        }
    )
    video = ["-c:v", "copy"]
    if source.startswith(TEST_PATTERN):
        video = live_h264(keyframe_every=15)
    return [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "warning",
        *input_arguments(source), "-an", *video,
        "-f", "mpegts", f"srt://{target.host}:{target.port}?{query}",
    ]  # fmt: skip


class Child:
    """An ffmpeg the agent runs in a session of its own: whether it runs, and stopping it with all it started."""

    process: subprocess.Popen | None = None

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self.is_running:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Pusher(Child):
    """A running push of one local camera; restart it by stopping and starting a new one."""

    def __init__(self, camera_id: int, source: str, target: PushTarget, *, ffmpeg: str | None = None):
        self.camera_id, self.source, self.target = camera_id, source, target
        self.ffmpeg = ffmpeg or find_ffmpeg()
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0
        # From ffmpeg's -progress, for the health report: frames sent and the bitrate now.
        self.frames, self.bitrate_kbps = 0, 0.0

    def start(self) -> None:
        # The passphrase is on ffmpeg's command line: the device is single-purpose and runs
        # nothing else, so no other user can read /proc there.
        argv = push_arguments(self.ffmpeg, self.source, self.target)
        argv[1:1] = ["-progress", "pipe:1", "-nostats"]
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True, start_new_session=True
        )
        threading.Thread(target=self.read_progress, args=(self.process,), daemon=True).start()

    def read_progress(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key == "frame" and value.isdigit():
                self.frames = int(value)
            elif key == "bitrate" and value.endswith("kbits/s"):
                try:
                    self.bitrate_kbps = float(value.removesuffix("kbits/s"))
                except ValueError:
                    pass

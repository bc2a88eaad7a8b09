"""A simulated camera: a real ffmpeg pushing a moving test pattern to a relay as an SRT caller.

It stands in for an edge device in the demo and the tests. The picture carries the
camera's name and a UTC wall clock, so a viewer can read the latency off the wall.
Like a real device it must know the passphrase; unlike the relay it is a demo tool, and
its passphrase is visible in its own argument list.
"""

import functools
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote

import ffmpeg
from django.db import connection

from cameras.relay.ports import held_substream_targets, push_target, substream_id
from cameras.relay.process import ChildProcess, terminate_group
from rtcc.ffmpeg import find_ffmpeg

UNSAFE_TEXT = re.compile(r"[^\w .#-]")  # drawtext's escaping is layered: keep names plain
TEXT_STYLE = "fontsize=16:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=3"


@functools.cache
def has_filter(ffmpeg_path: str, name: str) -> bool:
    try:
        listing = subprocess.run(  # noqa: S603
            [ffmpeg_path, "-hide_banner", "-filters"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.split()[1:2] == [name] for line in listing.splitlines())


def camera_label(name: str) -> str:
    return UNSAFE_TEXT.sub(" ", name)[:40].strip() or "camera"


def overlay_filter(name: str) -> str:
    label = camera_label(name)
    return (
        f"drawtext=text='{label}':x=8:y=h-48:{TEXT_STYLE},"
        # %T rather than %H:%M:%S: fewer colons to escape; the process runs with TZ=UTC.
        rf"drawtext=text='%{{gmtime\:%T}} UTC':x=8:y=h-24:{TEXT_STYLE}"
    )


class SimulatedCamera(ChildProcess):
    """An ffmpeg process pushing a test pattern to `srt://host:port` in caller mode.

    With `clip` (a pre-encoded MPEG-TS file, `cameras.simulator_clip`) it pushes that clip in
    a loop with stream copy instead of encoding: almost no CPU, so a small machine can
    simulate an 8x8 wall's cameras.
    """

    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        passphrase: str,
        stream_id: str,
        width: int = 320,
        height: int = 240,
        fps: int = 15,
        ffmpeg_path: str | None = None,
        clip: Path | None = None,
    ):
        self.name = name
        self.clip = clip
        self.host = host
        self.port = int(port)
        self.passphrase = passphrase
        self.stream_id = stream_id
        self.width = int(width)
        self.height = int(height)
        self.fps = int(fps)
        self.ffmpeg_path = ffmpeg_path
        self.process: subprocess.Popen | None = None

    @classmethod
    def for_camera(cls, camera, *, host: str, port: int, **options) -> "SimulatedCamera":
        """The device of a push camera (a cameras.models.Camera), calling host:port."""
        return cls(
            camera.name,
            host=host,
            port=port,
            passphrase=camera.srt_passphrase,
            stream_id=camera.stream_id,
            **options,
        )

    def __repr__(self):
        return f"SimulatedCamera({self.name!r} -> {self.host}:{self.port}, running {self.is_running})"

    def argv(self) -> list[str]:
        if self.ffmpeg_path is None:
            self.ffmpeg_path = find_ffmpeg().path
        return [
            self.ffmpeg_path,
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-loglevel",
            "error",
            *(self.copy_args() if self.clip else self.encode_args()),
        ]

    def srt_url(self) -> str:
        query = "&".join(
            part
            for part in (
                "mode=caller",
                "pbkeylen=32",
                # ffmpeg's SRT URL parser decodes these two.
                f"passphrase={quote(self.passphrase, safe='')}" if self.passphrase else "",
                f"streamid={quote(self.stream_id, safe='')}" if self.stream_id else "",
                "connect_timeout=5000",
            )
            if part
        )
        return f"srt://{self.host}:{self.port}?{query}"

    def copy_args(self) -> list[str]:
        # -re: at the clip's own rate, as a camera sends; -stream_loop -1: for ever, the
        # timestamps carried on across loops by ffmpeg.
        return [
            "-re",
            "-stream_loop",
            "-1",
            "-i",
            str(self.clip),
            "-c",
            "copy",
            "-f",
            "mpegts",
            self.srt_url(),
        ]

    def encode_args(self) -> list[str]:
        pattern = ffmpeg.input(
            f"testsrc2=size={self.width}x{self.height}:rate={self.fps}", f="lavfi", re=None
        )
        if has_filter(self.ffmpeg_path, "drawtext"):
            text = overlay_filter(self.name)
        else:
            text = "null"  # this ffmpeg cannot draw text: testsrc2's own counter still moves
        output = ffmpeg.output(
            pattern.video,
            self.srt_url(),
            f="mpegts",
            vf=text,
            vcodec="libx264",
            preset="ultrafast",
            tune="zerolatency",
            pix_fmt="yuv420p",
            g=self.fps,  # a keyframe a second: 1 s HLS segments with stream copy
            **{"b:v": "300k"},
        )
        return output.get_args()

    def start(self) -> None:
        if self.is_running:
            return
        self.process = subprocess.Popen(  # noqa: S603 -- an argument list, no shell
            self.argv(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={
                "PATH": os.environ.get("PATH", os.defpath),
                "TZ": "UTC",
                "HOME": os.environ.get("HOME", "/"),
            },
        )

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is not None:
            terminate_group(self.process, timeout)

    def kill(self) -> None:
        """Die at once, as a device losing power would: no goodbye to the relay."""
        if self.is_running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class LeaseFollowingCamera(SimulatedCamera):
    """A simulated box that, as a real one, pushes only while a relay node listens for its camera:
    each start asks where (the port the node took with the lease) and starts nothing until then.

    With `follow`, a thread of its own starts it again whenever it is not running, as a box
    follows its orders; without, the caller does (`manage.py simulate_cameras` loops anyway).

    With `substream` (options of a `SimulatedCamera`: its size, its clip) and a camera that has
    one, it also pushes the camera's substream, only while a node listens for that (a wall's
    grid tile shows it), and stops it when the node no longer does.
    """

    FOLLOW_PERIOD_S = 0.3

    def __init__(self, camera, *, follow: bool = False, substream: dict | None = None, **options):
        super().__init__(
            camera.name,
            host="",
            port=0,
            passphrase=camera.srt_passphrase,
            stream_id=camera.stream_id,
            **options,
        )
        self.camera = camera
        self.following: threading.Event | None = threading.Event() if follow else None
        self.lock = threading.Lock()
        self.sub: SimulatedCamera | None = None
        if camera.substream and substream is not None:
            self.sub = SimulatedCamera(
                f"{camera.name} sub",
                host="",
                port=0,
                passphrase=camera.srt_passphrase,
                stream_id=substream_id(camera.stream_id),
                **{"fps": self.fps, **substream},
            )

    def start(self) -> None:
        if self.following is not None and not self.following.is_set():
            self.following.set()
            threading.Thread(target=self.follow, name=f"box-{self.camera.pk}", daemon=True).start()
        self.start_if_leased()

    def start_if_leased(self) -> None:
        with self.lock:
            self.follow_substream()
            if self.is_running:
                return
            target = push_target(self.camera)
            if target is None:
                return
            self.host, self.port = target
            super().start()

    def follow_substream(self) -> None:
        if self.sub is None:
            return
        target = held_substream_targets([self.camera.pk]).get(self.camera.pk)
        if target is None or (self.sub.host, self.sub.port) != target:
            self.sub.stop()
        if target is not None and not self.sub.is_running:
            self.sub.host, self.sub.port = target
            self.sub.start()

    def follow(self) -> None:
        try:
            while self.following.is_set():
                self.start_if_leased()
                time.sleep(self.FOLLOW_PERIOD_S)
        finally:
            connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        if self.following is not None:
            self.following.clear()
        with self.lock:
            super().stop(timeout)
            if self.sub is not None:
                self.sub.stop(timeout)

    def kill(self) -> None:
        """Lose power: no push and no following until started again."""
        if self.following is not None:
            self.following.clear()
        with self.lock:
            super().kill()
            if self.sub is not None:
                self.sub.kill()

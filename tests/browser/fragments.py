"""A test pattern as the relays publish it for the wall's video socket (cameras/relay/fragments.py).

One ffmpeg encodes a pattern and writes fragmented MP4 with the relay's own muxer flags; the
relay's own `FragmentPublisher` reads it and publishes the same fragments under every camera
added (while a socket watches any of them), as `PatternWallCase` links one HLS folder into many
cameras' live folders.
"""

import subprocess
import threading
import time
from pathlib import Path

from cameras.relay.fragments import MAIN, MOVFLAGS, FragmentPublisher
from devices.edge.push import live_h264
from rtcc.ffmpeg import find_ffmpeg


class PatternPublisher(FragmentPublisher):
    """The relay's publisher, for a camera set that grows while it runs."""

    def __init__(self, stream: str = MAIN):
        super().__init__(0, stream=stream)
        self.camera_ids = []
        self.lock = threading.Lock()

    def add(self, camera_id: int) -> None:
        with self.lock:
            self.camera_ids.append(int(camera_id))
            if self.publishing:
                self.publish_init()

    def remove(self, camera_id: int) -> None:
        with self.lock:
            if int(camera_id) in self.camera_ids:
                self.camera_ids.remove(int(camera_id))

    def take(self, kind, box):
        with self.lock:
            super().take(kind, box)

    def publish_start(self):
        with self.lock:
            super().publish_start()


class FragmentPattern:
    """ffmpeg and the publisher's thread; `stop()` ends both."""

    def __init__(self, log_path: Path, rate: int = 15, size: str = "320x240", stream: str = MAIN):
        argv = [
            find_ffmpeg().path, "-nostdin", "-hide_banner", "-loglevel", "warning", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}",
            *live_h264(keyframe_every=rate), "-f", "mp4", "-movflags", MOVFLAGS, "-flush_packets", "1", "pipe:1",
        ]  # fmt: skip
        self.publisher = PatternPublisher(stream)
        self.log = log_path.open("ab")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, start_new_session=True)
        self.thread = threading.Thread(target=self.publisher.run, args=(self.process.stdout,), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.publisher.group:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"ffmpeg wrote no keyframe; see {log_path}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.publisher.woken.set()  # an unwatched publisher reads seldom: it sees the end at once
        self.thread.join(10)
        self.process.stdout.close()
        self.log.close()

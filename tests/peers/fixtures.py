"""Pytest fixtures for the peers a relay talks to: simulated SRT cameras and an RTSP server.

Use them from a conftest.py: `from tests.peers.fixtures import *  # noqa: F403`.
Every process started here is killed (its whole process group) when the test ends.
"""

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cameras.relay.process import terminate_group
from cameras.simulator import SimulatedCamera
from tests.peers.check import SYSTEM_PYTHON, skip_reason

RTSP_SERVER = Path(__file__).with_name("rtsp_server.py")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free for both TCP and UDP right now (SRT listens on UDP, RTSP on TCP)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            other = socket.SOCK_DGRAM if kind == socket.SOCK_STREAM else socket.SOCK_STREAM
            with socket.socket(socket.AF_INET, other) as second:
                try:
                    second.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def stopped_after_test(make):
    """A factory fixture's body: its factory starts what `make(...)` returns, stopped when the test ends."""
    started = []

    def start(*args, **kwargs):
        process = make(*args, **kwargs)
        started.append(process)
        process.start()
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def srt_camera():
    """A factory: srt_camera(port, passphrase, stream_id, name=...) starts a SimulatedCamera."""

    def local_camera(port: int, passphrase: str, stream_id: str = "", name: str = "Test camera", **options):
        return SimulatedCamera(
            name, host="127.0.0.1", port=port, passphrase=passphrase, stream_id=stream_id, **options
        )

    yield from stopped_after_test(local_camera)


@pytest.fixture
def rtsp_server():
    """An RTSP camera on 127.0.0.1 (H.264, 320x240 at 15 fps); yields its URL."""
    reason = skip_reason("rtsp")
    if reason:  # a test that uses this fixture without the `rtsp` marker
        pytest.skip(reason)
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [SYSTEM_PYTHON, str(RTSP_SERVER), str(port), "cam"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        ready = threading.Event()

        def watch():
            for line in process.stdout:
                if line.strip() == "ready":
                    ready.set()

        threading.Thread(target=watch, daemon=True).start()
        deadline = time.monotonic() + 20
        while not ready.wait(0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the RTSP server did not start: {process.stderr.read()[-500:]}")
        server = RtspServer(f"rtsp://127.0.0.1:{port}/cam", process)
        yield server
    finally:
        terminate_group(process)
        for stream in (process.stdout, process.stderr):
            stream.close()


class RtspServer:
    def __init__(self, url: str, process: subprocess.Popen):
        self.url = url
        self.process = process

    def kill(self) -> None:
        """Die at once, as a camera losing power would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


__all__ = ["free_port", "rtsp_server", "srt_camera"]


def holds_within(condition, timeout: float, interval: float = 0.1) -> bool:
    """Poll `condition` until it holds or `timeout` passes; True if it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())

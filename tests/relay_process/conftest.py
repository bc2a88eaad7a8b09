import struct
import subprocess
from pathlib import Path

import pytest

from cameras.relay.process import RelayProcess
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import (  # noqa: F401 -- fixtures
    free_port,
    rtsp_server,
    srt_camera,
    stopped_after_test,
)

PASSPHRASE = "correct-horse-battery-staple-42"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RTCC_PULL_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    return settings.MEDIA_ROOT


@pytest.fixture
def relays(media_root):
    """A factory that starts RelayProcess(spec) and stops every one of them after the test."""
    yield from stopped_after_test(RelayProcess)


@pytest.fixture
def srt_port():
    return free_port()


def jpeg_size(path: Path) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    data = path.read_bytes()
    index = 2
    while index < len(data):
        marker, length = data[index + 1], struct.unpack(">H", data[index + 2 : index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    raise ValueError(f"{path} has no start-of-frame marker")


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def make_video(path: Path, *options: str, size: str = "64x48") -> Path:
    """A test pattern written by the real ffmpeg to `path`, with the given output options."""
    subprocess.run(  # noqa: S603
        [find_ffmpeg().path, "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=10"]
        + [*options, str(path)],
        check=True,
        timeout=30,
    )
    return path

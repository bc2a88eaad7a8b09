import struct
from pathlib import Path

import pytest

from cameras.relay.process import RelayProcess
from tests.peers.fixtures import free_port, rtsp_server, srt_camera  # noqa: F401 -- fixtures

PASSPHRASE = "correct-horse-battery-staple-42"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RTCC_PULL_ALLOWED_HOSTS = ["127.0.0.1"]
    return settings.MEDIA_ROOT


@pytest.fixture
def relays(media_root):
    """A factory that starts RelayProcess(spec) and stops every one of them after the test."""
    started = []

    def start(spec):
        relay = RelayProcess(spec)
        started.append(relay)
        relay.start()
        return relay

    yield start
    for relay in started:
        relay.stop()


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

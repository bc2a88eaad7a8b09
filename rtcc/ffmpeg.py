"""Find the ffmpeg binary: an explicit RTCC_FFMPEG, a recent system ffmpeg, or the wheel's.

And list the ffmpeg processes running on this machine, for the tests and benchmarks that count them.
"""

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from django.conf import settings

MINIMUM_SYSTEM_VERSION = (8, 1, 3)
VERSION_PATTERN = re.compile(r"ffmpeg version n?(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class FFmpeg:
    path: str
    version: tuple[int, int, int] | None
    origin: str  # "setting", "system" or "wheel"

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version)) if self.version else "unknown"


def read_version(path: str) -> tuple[int, int, int] | None:
    try:
        output = subprocess.run(
            [path, "-hide_banner", "-version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = VERSION_PATTERN.search(output)
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


@functools.cache
def find_ffmpeg() -> FFmpeg:
    if settings.RTCC_FFMPEG:
        return FFmpeg(settings.RTCC_FFMPEG, read_version(settings.RTCC_FFMPEG), "setting")
    system = shutil.which("ffmpeg")
    if system:
        version = read_version(system)
        if version and version >= MINIMUM_SYSTEM_VERSION:
            return FFmpeg(system, version, "system")
    wheel = imageio_ffmpeg.get_ffmpeg_exe()
    return FFmpeg(wheel, read_version(wheel), "wheel")


def running_ffmpegs() -> Iterator[tuple[int, list[bytes]]]:
    """(pid, argv) of every ffmpeg process on this machine, read from Linux's /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # it exited meanwhile
        if b"ffmpeg" in os.path.basename(argv[0]):
            yield int(entry.name), argv

"""Processes the browser tests run: daphne on the test database, and a test-pattern HLS stream."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from django.conf import settings

from cameras.relay.layout import PLAYLIST_NAME, SEGMENT_PATTERN, SNAPSHOT_NAME
from devices.edge.push import live_h264
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import free_port
from tests.relay_fleet.fleet import database_url_for_children


def stop(process: subprocess.Popen) -> None:
    """Stop the process and everything it started (its own process group)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def start_daphne(
    log_path: Path, env: dict[str, str] | None = None, port: int | None = None
) -> tuple[subprocess.Popen, str]:
    """Daphne serving the project on a free port (or `port`) against the test database; (process, base URL).

    `env` adds settings (`RTCC_…`) to the server's environment.
    """
    port = port or free_port()
    env = {**os.environ, **(env or {}), "DATABASE_URL": database_url_for_children()}
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "rtcc.asgi:application"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}; see {log_path}")
        try:
            with urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 -- our own server
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"daphne did not answer within 60 s; see {log_path}")


def start_test_pattern(folder: Path, log_path: Path) -> subprocess.Popen:
    """ffmpeg writing a small live HLS stream (1 s segments, program date-time) and a snapshot into `folder`.

    The segments and playlist are named as the relay names them (cameras/relay/layout.py).
    """

    folder.mkdir(parents=True, exist_ok=True)
    argv = [
        find_ffmpeg().path,
        "-nostdin",
        "-y",
        "-hide_banner",
        "-loglevel",
        "warning",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=10",
        "-map",
        "0:v",
        *live_h264(keyframe_every=10),
        "-keyint_min",
        "10",
        "-sc_threshold",
        "0",
        "-f",
        "hls",
        "-hls_time",
        "1",
        "-hls_list_size",
        "4",
        "-hls_flags",
        "delete_segments+program_date_time+independent_segments+temp_file",
        "-hls_segment_filename",
        str(folder / SEGMENT_PATTERN),
        str(folder / PLAYLIST_NAME),
        "-map",
        "0:v",
        "-vf",
        "fps=1",
        "-q:v",
        "6",
        "-update",
        "1",
        "-atomic_writing",
        "1",
        "-f",
        "image2",
        str(folder / SNAPSHOT_NAME),
    ]
    log = log_path.open("ab")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ffmpeg exited with {process.returncode}; see {log_path}")
        if (folder / PLAYLIST_NAME).exists() and (folder / SNAPSHOT_NAME).exists():
            return process
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"ffmpeg wrote no playlist within 60 s; see {log_path}")

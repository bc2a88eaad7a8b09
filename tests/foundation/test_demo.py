"""`manage.py demo` (what `make demo` runs) serves the site and leaves no process behind."""

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django_otp.oath import totp

from tests.peers.fixtures import free_port

ROOT = Path(__file__).resolve().parents[2]
DEMO_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def wait_for_http(url: str, deadline: float, process: subprocess.Popen) -> int:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the demo exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer in time")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_demo_answers_then_stops_every_child(tmp_path, stop_signal):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        RTCC_VAR_DIR=str(tmp_path), RTCC_DEMO_PASSWORD="demo-password-123", RTCC_DEMO_TOTP_SECRET=DEMO_SECRET
    )
    argv = [sys.executable, "manage.py", "demo", "--port", str(port), "--no-cameras"]
    output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    demo = subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True, **output)
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/", time.monotonic() + 120, demo) == 200
        code = f"{totp(base64.b32decode(DEMO_SECRET)):06d}"
        body = json.dumps({"username": "dispatcher", "password": "demo-password-123", "otp": code}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/auth/token/", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert b"token" in response.read()
        demo.send_signal(stop_signal)
        output, _ = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    assert "OpenRTCC demo is running at" in output
    assert "demo-password-123" in output
    assert DEMO_SECRET in output
    deadline = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []
    assert processes_mentioning(f"-p {port} ") == []


def children_of(pid: int) -> dict[int, str]:
    """{pid: command line} of the processes whose parent is `pid`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The parent pid is the 4th field after the command name, which sits in brackets.
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def child_running(demo_pid: int, text: str) -> int | None:
    return next((pid for pid, cmdline in children_of(demo_pid).items() if text in cmdline), None)


def wait_until(condition, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(message)


def test_demo_restarts_a_crashed_relay_node_and_embedded_redis(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        RTCC_VAR_DIR=str(tmp_path), RTCC_DEMO_PASSWORD="demo-password-123", RTCC_DEMO_TOTP_SECRET=DEMO_SECRET
    )
    log = tmp_path / "demo.log"
    with open(log, "w") as output:
        demo = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--port", str(port), "--no-cameras"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for_http(f"http://127.0.0.1:{port}/", time.monotonic() + 120, demo) == 200
        for text in ("--relay", "redis-server"):
            old = wait_until(lambda t=text: child_running(demo.pid, t), 30, f"no {text} child")
            os.kill(old, signal.SIGKILL)
            new = wait_until(
                lambda t=text, o=old: (pid := child_running(demo.pid, t)) and pid != o and pid,
                30,
                f"the demo did not restart {text}:\n{log.read_text()[-3000:]}",
            )
            assert new != old
        assert demo.poll() is None, "the demo stopped instead of restarting its children"
        # The site still works with the new Redis behind it (sessions, throttles, the cache).
        assert wait_for_http(f"http://127.0.0.1:{port}/transparency/", time.monotonic() + 30, demo) == 200
        text = log.read_text()
        assert "relay-node exited with code -9; restarting it in" in text
        assert "redis exited with code -9; restarting it in" in text
    finally:
        demo.send_signal(signal.SIGTERM)
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    deadline = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(tmp_path)) == []

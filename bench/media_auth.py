"""Authorised media requests per second, measured with wrk, in the production shape.

nginx in front; `/media/` goes to several daphne processes that authorise each playlist
request and answer with `X-Accel-Redirect`; nginx sends the file. In the same run, beside it:

- `nginx_static`: nginx serving the same file with no authorisation at all (the ceiling);
- `per_request_sql`: the same stack with `RTCC_MEDIA_AUTH_CACHE_SECONDS=0`, every request
  checked against the database as before stored decisions (six to eight queries).

The viewer is a dispatcher with an open viewing session on a resident's live camera, the
wall's case. Every answer must be a 200 (wrk counts the others; the run fails on any).
`python -m bench media_auth` runs 5 s per row; `--scale 6` runs 30 s per row. By default on
SQLite in a throwaway folder; with DATABASE_URL, name an empty database of its own.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench._django import bench_redis, contracted_agency, setup_django
from bench._fleet import load_average
from bench._wall_page import free_port

WORKERS = 2  # daphne processes: one per core of the reference machine
CONNECTIONS = 20  # the measurement: 20 concurrent clients
# About the target's load, offered steadily instead of as fast as possible: each of 24
# connections sends a request 20 ms after its last answer, 1,000 requests a second in all when
# an answer takes 4 ms. The p99 at that rate is the figure the target names (at full speed, the
# queue in front of the two processes adds to every request). The row reports the rate reached.
PACED_CONNECTIONS, PACED_DELAY_MS = 24, 20
PACED = f"function delay()\n  return {PACED_DELAY_MS}\nend\n"
SECONDS_PER_SCALE = 5
PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n" + "".join(
    f"#EXTINF:1.000,\nseg-{n}.ts\n" for n in range(1, 7)
)

# The ceiling: the same file, served by nginx with no authorisation at all.
PLAIN_MEDIA = """        location /plain-media/ {{
            alias {media}/;
            add_header Cache-Control "private, no-store" always;
        }}
"""


def wait_for_200(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.3)


def wrk(url: str, seconds: int, script: Path | None = None, connections: int = CONNECTIONS) -> dict:
    """Requests/s, p50 and p99 of `url` under CONNECTIONS connections; every answer must be a 200.

    `script`: a wrk Lua script (PACED: each connection waits between requests).
    """
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
         *(["-s", str(script)] if script else []), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw failed requests on {url}:\n{output}\nafter it: {answer_to(url)}")
    latency = {m[0]: m[1] for m in re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE)}
    return {
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])),
        "p50_ms": milliseconds(latency["50"]),
        "p99_ms": milliseconds(latency["99"]),
    }


def answer_to(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return f"{answer.status}"
    except urllib.error.HTTPError as error:
        return f"{error.code} {error.read()[:300]!r}"
    except OSError as error:
        return repr(error)


def milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


class AppProcesses:
    """WORKERS daphne processes on their own ports, with the environment given."""

    def __init__(self, env: dict, ports: list[int]):
        manage_dir = Path(__file__).resolve().parent.parent
        self.children = [
            subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "rtcc.asgi:application"],
                env=env,
                cwd=manage_dir,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for port in ports
        ]

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()


def make_viewer():
    """A dispatcher's open viewing session on a resident's live camera; its signed playlist URL."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from agencies.models import Membership
    from cameras.media.signing import hls_url_for
    from cameras.models import Camera, Consent
    from cameras.viewing.models import ViewingSession
    from devices.models import Device

    agency = contracted_agency(days=30)
    users = get_user_model().objects
    dispatcher = users.create_user("bench-dispatcher", password="bench-password-1")
    Membership.objects.create(user=dispatcher, agency=agency, role=Membership.Role.DISPATCHER)
    resident = users.create_user("bench-resident", password="bench-password-1")
    device = Device.objects.create(serial="BENCH-1", owner=resident, agency=agency, state=Device.State.ONLINE)
    camera = Camera.objects.create(
        agency=agency, name="porch", owner=resident, kind=Camera.Kind.PRIVATE,
        source=Camera.Source.PUSH, device=device, lat=41.88, lon=-87.63,
    )  # fmt: skip
    Consent.objects.create(camera=camera, level=Consent.Level.LIVE, set_by=resident)
    session = ViewingSession.objects.create(
        user=dispatcher, agency=agency, camera=camera, purpose="benchmark", case_number="B-1",
        expires_at=timezone.now() + timedelta(hours=1),
    )  # fmt: skip
    url, _ = hls_url_for(camera, dispatcher, session)
    return camera, url


def run(scale: int) -> list[dict]:
    missing = [tool for tool in ("nginx", "wrk") if shutil.which(tool) is None]
    if missing:
        return [{"skipped": f"needs {' and '.join(missing)} (Debian: apt-get install nginx wrk)"}]
    var_dir = setup_django()
    with bench_redis():
        return measure(var_dir, SECONDS_PER_SCALE * max(1, scale))


def measure(var_dir: str, seconds: int) -> list[dict]:
    from django.conf import settings
    from django.db import connection

    from cameras.relay.layout import live_dir
    from rtcc.nginx import standalone_config

    camera, url = make_viewer()
    folder = live_dir(camera.pk)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.m3u8").write_text(PLAYLIST)
    media_root = Path(settings.MEDIA_ROOT).resolve()
    static_path = f"/plain-media/{(folder / 'index.m3u8').resolve().relative_to(media_root).as_posix()}"

    run_dir = Path(tempfile.mkdtemp(prefix="rtcc-bench-nginx-"))
    base_env = {
        **os.environ, "RTCC_VAR_DIR": var_dir, "LOG_LEVEL": "WARNING",
        "RTCC_MEDIA_ACCEL_REDIRECT": "/protected-media/",
    }  # fmt: skip
    rows = []
    try:
        for name, extra in (
            ("stored_decision", {}),
            ("per_request_sql", {"RTCC_MEDIA_AUTH_CACHE_SECONDS": "0"}),
        ):
            ports = [free_port() for _ in range(WORKERS)]
            nginx_port = free_port()
            (run_dir / "nginx.conf").write_text(
                standalone_config(
                    [f"127.0.0.1:{port}" for port in ports],
                    media_root,
                    port=nginx_port,
                    run_dir=run_dir,
                    as_root=os.geteuid() == 0,
                    extra=PLAIN_MEDIA.format(media=media_root),
                )
            )
            apps = AppProcesses({**base_env, **extra}, ports)
            nginx = subprocess.Popen(
                ["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf")], start_new_session=True
            )
            try:
                origin = f"http://127.0.0.1:{nginx_port}"
                wait_for_200(origin + url, 60)
                wait_for_200(origin + static_path, 10)
                for _ in range(WORKERS * 4):  # every worker has met the decision (and opened its connections)
                    wait_for_200(origin + url, 10)
                rows.append({"path": name, "workers": WORKERS, **wrk(origin + url, seconds)})
                if name == "stored_decision":
                    paced = run_dir / "paced.lua"
                    paced.write_text(PACED)
                    measured = wrk(origin + url, seconds, paced, PACED_CONNECTIONS)
                    rows.append({"path": "stored_decision_paced", "workers": WORKERS, **measured})
                    rows[-1]["connections"] = PACED_CONNECTIONS
                if name == "stored_decision":  # the ceiling, in the same nginx, between the two
                    rows.append({"path": "nginx_static", **wrk(origin + static_path, seconds)})
            finally:
                nginx.send_signal(signal.SIGQUIT)
                nginx.wait(15)
                apps.stop()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    facts = {
        "database": connection.vendor,
        "connections": CONNECTIONS,
        "seconds": seconds,
        "load_average": load_average(),
    }
    ours = rows[0]["requests_per_s"]
    return [
        {**facts, **row, "ratio_to_stored_decision": round(row["requests_per_s"] / ours, 3)} for row in rows
    ]

"""The deployment shape of docs/DEPLOY.md on one machine: nginx in front of two web (daphne)
processes, two relay workers, real ffmpeg over SRT. Media reach the browser through nginx
after a web process authorises them, web processes share the load and stand in for each
other, and a wall's WebSocket passes through nginx."""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from cameras.media.signing import hls_url_for
from cameras.models import Camera, Consent
from cameras.relay.models import RelayNode
from rtcc.nginx import PROTECTED_MEDIA, standalone_config
from tests.peers.fixtures import free_port
from tests.personas import SignedInClient
from tests.relay_fleet.fleet import FleetTestCase, NodeProcess, RelayWorker, open_session, wait_for

pytestmark = [pytest.mark.ffmpeg, pytest.mark.nginx]


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
    except OSError:
        return 0, {}, b""


class WebProcess(NodeProcess):
    """A daphne web process on `port`, answering media with X-Accel-Redirect as in production."""

    def __init__(self, port: int):  # not super().__init__: that starts a relay node
        self.name, self.port = f"web-{port}", port
        argv = [sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p", str(port)]
        argv.append("rtcc.asgi:application")
        self.start(argv, f"daphne-{port}.log", {"RTCC_MEDIA_ACCEL_REDIRECT": PROTECTED_MEDIA})


class Nginx:
    """nginx in front of `web_ports`, configured by rtcc.nginx exactly as `manage.py nginx_config`."""

    def __init__(self, web_ports: list[int]):
        self.run_dir = Path(tempfile.mkdtemp(prefix="rtcc-nginx-"))
        self.port = free_port()
        config = standalone_config(
            [f"127.0.0.1:{port}" for port in web_ports],
            settings.MEDIA_ROOT,
            port=self.port,
            run_dir=self.run_dir,
            as_root=os.geteuid() == 0,
            log_requests=True,
        )
        (self.run_dir / "nginx.conf").write_text(config)
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.run_dir), "-c", str(self.run_dir / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.origin = f"http://127.0.0.1:{self.port}"

    def answered_by(self, path_prefix: str) -> set[str]:
        """The web processes (host:port) that answered requests under `path_prefix`."""
        lines = (self.run_dir / "access.log").read_text().splitlines()
        return {line.split()[2] for line in lines if line.startswith(path_prefix) and len(line.split()) > 2}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def websocket_hello(port: int, path: str, cookie: str) -> tuple[str, dict]:
    """Open a WebSocket through nginx; (the status line, the first JSON message the hub sends)."""
    key = base64.b64encode(os.urandom(16)).decode()
    origin = f"http://127.0.0.1:{port}"
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\nCookie: {cookie}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        connection.sendall(request.encode())
        reader = connection.makefile("rb")
        status = reader.readline().decode().strip()
        while reader.readline() not in (b"\r\n", b""):
            pass
        if " 101 " not in f"{status} ":
            return status, {}
        first, second = reader.read(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(reader.read(2), "big")
        elif length == 127:
            length = int.from_bytes(reader.read(8), "big")
        assert first & 0x0F == 1, f"the first frame is not text: opcode {first & 0x0F}"
        return status, json.loads(reader.read(length))


class ManyNodesTests(FleetTestCase):
    def start(self, process):
        self.addCleanup(process.stop)
        return process

    def test_two_web_processes_behind_nginx_and_two_relay_workers(self):
        camera = self.add_camera(
            "Rita's porch", level=Consent.Level.LIVE, relay_mode=Camera.RelayMode.CONTINUOUS
        )
        device = self.start_device(camera)
        workers = [self.start(RelayWorker(name)) for name in ("relay1", "relay2")]
        webs = [self.start(WebProcess(free_port())) for _ in range(2)]
        nginx = self.start(Nginx([web.port for web in webs]))
        wait_for(lambda: get(f"{nginx.origin}/healthz")[0] == 200, 60, "nginx never reached a web process")
        self.wait_status(camera, Camera.Status.LIVE, timeout=90, devices=[device])
        nodes = RelayNode.objects.filter(
            name__in=[worker.name for worker in workers], stopped_at__isnull=True
        )
        wait_for(lambda: nodes.count() == 2, 30, "both relay workers did not register")

        session = open_session(self.dispatcher, self.agency, camera, "Burglary in progress", "RPD-7")
        playlist_url, _ = hls_url_for(camera, self.dispatcher, session)

        # Through nginx: the playlist and a segment, sent by nginx after a web process said yes.
        def playlist():
            status, _, body = get(nginx.origin + playlist_url)
            return body.decode() if status == 200 and ".ts" in body.decode() else ""

        text = wait_for(playlist, 30, "no playlist with segments through nginx")
        segment = next(line for line in text.splitlines() if line.endswith(".ts"))
        status, _, body = get(nginx.origin + playlist_url.rsplit("/", 1)[0] + "/" + segment)
        self.assertEqual(status, 200)
        self.assertEqual(body[:1], b"\x47", "an MPEG-TS segment starts with its sync byte")
        for _ in range(8):
            self.assertEqual(get(nginx.origin + playlist_url)[0], 200)
        self.assertEqual(
            nginx.answered_by("/media/"),
            {f"127.0.0.1:{web.port}" for web in webs},
            "both web processes authorise media",
        )

        # A web process only authorises: it answers with an empty body and where nginx finds the file.
        status, headers, body = get(f"http://127.0.0.1:{webs[0].port}{playlist_url}")
        self.assertEqual((status, body), (200, b""))
        self.assertTrue(headers["X-Accel-Redirect"].startswith(f"{PROTECTED_MEDIA}live/{camera.pk}/"))
        # ...and nginx never serves the protected folder to a browser directly.
        self.assertEqual(get(f"{nginx.origin}{headers['X-Accel-Redirect']}")[0], 404)

        # A dispatcher's wall socket passes through nginx and gets its state.
        browser = SignedInClient()
        browser.force_login(self.dispatcher)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
        status, hello = websocket_hello(nginx.port, "/ws/wall/", cookie)
        self.assertIn(" 101 ", f"{status} ")
        self.assertIn("type", hello)

        # One web process goes away (a deploy, a crash): every request is still answered.
        webs[0].stop()
        for _ in range(6):
            self.assertEqual(get(nginx.origin + playlist_url)[0], 200)

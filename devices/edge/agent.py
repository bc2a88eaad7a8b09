"""rtcc-edge: enroll with the hub, report every heartbeat, and push the cameras the hub asks for.

The hub answers each heartbeat with the cameras that may stream now (their owners' consent
is in force) and where to push them; the agent starts, restarts and stops one ffmpeg per
camera to match. A camera the hub no longer lists stops within one heartbeat, on top of
the hub refusing its stream.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from devices.edge import __version__
from devices.edge.push import Pusher, PushTarget

logger = logging.getLogger("rtcc-edge")


class HubError(Exception):
    pass


class EdgeAgent:
    def __init__(self, hub: str, serial: str, claim_code: str, cameras: dict[int, str], state_dir: Path):
        self.hub = hub.rstrip("/")
        self.serial, self.claim_code = serial, claim_code
        self.local_cameras = cameras
        self.token_file = state_dir / "device-token"
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.pushers: dict[int, Pusher] = {}
        self.push_failures: dict[int, int] = {}
        self.hub_camera_ids: set[int] = (
            set()
        )  # reported on: the hub refuses health of a camera not on the box
        self.interval = 30.0

    def call(self, path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Device {token}"
        request = urllib.request.Request(f"{self.hub}{path}", json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise HubError(f"{path}: HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise HubError(f"{path}: {error}") from None

    def token(self) -> str:
        if self.token_file.exists():
            return self.token_file.read_text().strip()
        answer = self.call("/api/v1/devices/enroll/", {"serial": self.serial, "claim_code": self.claim_code})
        self.save_token(answer["device_token"])
        logger.info("enrolled as %s", answer["serial"])
        return answer["device_token"]

    def save_token(self, token: str) -> None:
        # Written beside and renamed over: a crash mid-write never leaves half a token.
        partial = self.token_file.with_suffix(".new")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        partial.replace(self.token_file)

    def report(self) -> dict:
        """What the hub stores of this box's health: the agent's version and each camera's push failures."""
        ids = sorted(self.hub_camera_ids & set(self.local_cameras))
        cameras = [{"id": camera_id, "errors": self.push_failures.get(camera_id, 0)} for camera_id in ids]
        return {"agent_version": __version__, "cameras": cameras}

    def heartbeat(self) -> dict:
        try:
            answer = self.call("/api/v1/devices/heartbeat/", self.report(), self.token())
        except HubError as error:
            if "HTTP 401" not in str(error):
                raise
            logger.warning("the hub no longer knows this token; enrolling again")
            self.token_file.unlink(missing_ok=True)
            answer = self.call("/api/v1/devices/heartbeat/", self.report(), self.token())
        if answer.get("device_token"):
            self.save_token(answer["device_token"])
            logger.info("the hub rotated this device's token")
        return answer

    def reconcile(self, answer: dict) -> None:
        self.interval = float(answer.get("heartbeat_interval_s", self.interval))
        self.hub_camera_ids = {camera["id"] for camera in answer.get("cameras", [])}
        wanted = {}
        for camera in answer.get("cameras", []):
            push = camera.get("push")
            if push and camera["id"] in self.local_cameras:
                wanted[camera["id"]] = PushTarget(
                    push["host"], push["port"], push["passphrase"], camera["stream_id"]
                )
        for camera_id in list(self.pushers):
            pusher = self.pushers[camera_id]
            if wanted.get(camera_id) != pusher.target or not pusher.is_running:
                if not pusher.is_running:
                    self.push_failures[camera_id] = self.push_failures.get(camera_id, 0) + 1
                pusher.stop()
                del self.pushers[camera_id]
                logger.info("camera %s: push stopped", camera_id)
        for camera_id, target in wanted.items():
            if camera_id not in self.pushers:
                pusher = Pusher(camera_id, self.local_cameras[camera_id], target)
                pusher.start()
                self.pushers[camera_id] = pusher
                logger.info("camera %s: pushing to %s:%s", camera_id, target.host, target.port)

    def run(self, stop: threading.Event, interval: float | None = None) -> None:
        try:
            while not stop.is_set():
                try:
                    self.reconcile(self.heartbeat())
                except HubError as error:
                    logger.warning("%s; trying again at the next heartbeat", error)
                stop.wait(interval or self.interval)
        finally:
            self.stop_all()

    def stop_all(self) -> None:
        for pusher in self.pushers.values():
            pusher.stop()
        self.pushers.clear()


def parse_camera(text: str) -> tuple[int, str]:
    camera_id, _, source = text.partition("=")
    if not camera_id.isdigit() or not source:
        raise argparse.ArgumentTypeError(f"{text!r}: give a camera as <hub camera id>=<local stream URL>")
    return int(camera_id), source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rtcc-edge", description=__doc__.splitlines()[0])
    parser.add_argument("--hub", required=True, help="the hub's base URL, e.g. https://rtcc.example.gov")
    parser.add_argument("--serial", required=True, help="the serial number on the device's label")
    parser.add_argument("--claim-code", required=True, help="the claim code on the device's label")
    parser.add_argument(
        "--camera",
        action="append",
        type=parse_camera,
        default=[],
        metavar="ID=URL",
        help="a local camera: the hub's camera id and its local RTSP/HTTP URL (repeat)",
    )
    parser.add_argument("--state-dir", type=Path, default=Path.home() / ".rtcc-edge")
    parser.add_argument("--interval", type=float, help="seconds between heartbeats (default: the hub's)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s rtcc-edge %(levelname)s: %(message)s")
    agent = EdgeAgent(args.hub, args.serial, args.claim_code, dict(args.camera), args.state_dir)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    agent.run(stop, args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())

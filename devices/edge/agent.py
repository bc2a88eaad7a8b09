"""rtcc-edge: the edge box's agent. It pushes a local camera to the hub only while the hub asks.

The hub's orders arrive over the control channel (`channel.py`; over HTTP heartbeats while the
channel is down): which cameras to push now, to which relay node, port, passphrase and stream id.
The agent starts one ffmpeg per ordered camera, restarts one that dies, and stops one the
orders no longer list. It never pushes a camera the orders do not name, nor one that is not in
its own configuration, and pushes nothing at all while its owner's switch is off (`switch.py`).
"""

import json
import logging
import os
import threading
import time
from pathlib import Path

from . import __version__, switch
from .channel import ControlChannel
from .config import LocalCamera
from .hub import Hub, HubError
from .push import Pusher, PushTarget
from .recorder import Recorder, prune
from .thumbnail import Thumbnails
from .upload import upload_window

logger = logging.getLogger("rtcc-edge")

RESTART_AFTER_S = 1.0
PRUNE_EVERY_S = 60.0


class EdgeAgent:
    def __init__(
        self,
        hub: str,
        serial: str,
        claim_code: str,
        cameras: dict[int, str | LocalCamera],
        state_dir: Path,
        *,
        record: bool = False,
        keep_days: float = 7.0,
        keep_gb: float = 20.0,
    ):
        self.hub = Hub(hub, serial, claim_code, state_dir)
        self.state_dir = state_dir
        self.local_cameras = {
            camera_id: camera if isinstance(camera, LocalCamera) else LocalCamera(camera_id, camera)
            for camera_id, camera in cameras.items()
        }
        self.lock = threading.RLock()
        self.pushers: dict[int | tuple[int, str], Pusher] = {}  # (camera id, "sub"): its substream
        self.wanted: dict[int, PushTarget] = {}
        self.push_failures: dict[int, int] = {}
        # The cameras the hub listed: health is reported on these only (it refuses others).
        self.hub_camera_ids: set[int] = set()
        self.interval = 30.0
        self.interval_chosen = False
        self.channel: ControlChannel | None = None
        self.paused_seen = switch.paused_from(state_dir)
        # The ring buffer: every local camera recorded on the box, whatever the hub asks.
        self.record, self.keep_days, self.keep_bytes = record, keep_days, int(keep_gb * 1e9)
        self.recordings = state_dir / "recordings"
        self.recorders: dict[int, Recorder] = {}
        self.pruned_at = 0.0
        self.upload_orders: list[dict] = []
        self.uploads_done: set[int] = set()
        self.uploader: threading.Thread | None = None
        # Pictures of the idle cameras the hub asks for, at most one a minute each.
        self.thumbnails = Thumbnails()

    # What the box says

    def report(self) -> dict:
        """What the hub stores of this box's health: the agent's version, and for each camera its push
        failures and, while it is pushed, the frames sent and the bitrate."""
        ids = sorted(self.hub_camera_ids & set(self.local_cameras))
        cameras = []
        for camera_id in ids:
            health = {"id": camera_id, "errors": self.push_failures.get(camera_id, 0)}
            # Whether this box has a substream of the camera to push (its grid tiles play that).
            health["substream"] = bool(self.local_cameras[camera_id].sub)
            pusher = self.pushers.get(camera_id)
            if pusher is not None:
                health |= {"frames": pusher.frames, "bitrate_kbps": round(pusher.bitrate_kbps, 1)}
            cameras.append(health)
        return {"agent_version": __version__, "cameras": cameras}

    def heartbeat_message(self) -> dict:
        return {"type": "heartbeat", **self.report()}

    def switch_message(self) -> dict:
        return {"type": "pause" if self.paused_seen else "resume"}

    def greeting(self) -> list[dict]:
        """What the box says first on a new channel: its pause, if paused (a resume would also lift
        a pause pressed in the portal while the box was away), and a heartbeat."""
        return ([self.switch_message()] if self.paused_seen else []) + [self.heartbeat_message()]

    # The HTTP fallback

    def heartbeat(self) -> dict:
        answer = self.hub.heartbeat(self.report())
        if not self.interval_chosen:  # the hub's pace, unless this run was given its own
            self.interval = float(answer.get("heartbeat_interval_s", self.interval))
        return answer

    def reconcile(self, answer: dict) -> None:
        """Follow a heartbeat answer's orders (the channel's fallback)."""
        self.hub_camera_ids = {camera["id"] for camera in answer.get("cameras", [])}
        wanted = {}
        for camera in answer.get("cameras", []):
            push = camera.get("push")
            if push:
                if push.get("port") is not None:  # absent: the hub listens for the substream only
                    wanted[camera["id"]] = PushTarget(
                        push["host"], push["port"], push["passphrase"], camera["stream_id"]
                    )
                add_substream(wanted, camera["id"], push)
        self.push_to(wanted)

    def token_refused(self) -> None:
        try:
            self.reconcile(self.heartbeat())
        except HubError as error:
            logger.warning("%s", error)

    # What the hub says over the channel

    def on_message(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "orders":
            self.follow_orders(message)
        elif kind == "heartbeat.ok" and message.get("device_token"):
            self.hub.save_token(message["device_token"])
            logger.info("the hub rotated this device's token")
        elif kind == "error":
            logger.warning("the hub refused a message: %s", str(message.get("detail", ""))[:300])

    def follow_orders(self, orders: dict) -> None:
        # A pause pressed in the portal is written to the switch; a resume from the portal lifts
        # only a pause from the portal. A pause made on the box stays until the box resumes.
        local = switch.paused_from(self.state_dir)
        if orders.get("paused") and not local and orders.get("paused_from") == switch.FROM_BOX:
            # Paused on the box and resumed there while the channel was down: the hub learns it now.
            if self.channel is not None:
                self.channel.send({"type": "resume"})
        elif orders.get("paused") and not local:
            switch.pause(self.state_dir, switch.FROM_PORTAL)
            logger.info("paused from the portal")
        elif not orders.get("paused") and switch.paused_from(self.state_dir) == switch.FROM_PORTAL:
            switch.resume(self.state_dir)
            logger.info("resumed from the portal")
        wanted = {}
        for camera in orders.get("cameras", []):
            try:
                camera_id = int(camera["id"])
                if camera.get("port") is not None:  # absent: the hub listens for the substream only
                    wanted[camera_id] = PushTarget(
                        str(camera["host"]),
                        int(camera["port"]),
                        str(camera["passphrase"]),
                        str(camera["stream_id"]),
                    )
                add_substream(wanted, camera_id, camera)
            except (KeyError, TypeError, ValueError, AttributeError):
                logger.warning("ignored a malformed order: %r", order_without_secret(camera))
        self.hub_camera_ids |= {key if isinstance(key, int) else key[0] for key in wanted}
        self.upload_orders = [u for u in orders.get("uploads", []) if isinstance(u, dict)]
        self.thumbnails.asked(c for c in orders.get("thumbnails", []) if type(c) is int)
        self.push_to(wanted)

    # Pushing

    def push_to(self, wanted: dict) -> None:
        """`wanted`: {camera id: target} of main streams, {(camera id, "sub"): target} of substreams."""
        with self.lock:
            self.wanted = {key: target for key, target in wanted.items() if self.source_of(key)}
            self.apply()

    def source_of(self, key) -> str:
        """The local URL a push key reads: a camera's main stream, or its substream ("" if none)."""
        camera_id, sub = (key[0], True) if isinstance(key, tuple) else (key, False)
        camera = self.local_cameras.get(camera_id)
        if camera is None:
            return ""
        return camera.sub if sub else camera.main

    def apply(self) -> None:
        """Make the running pushes match the orders: nothing while paused, else exactly the ordered cameras."""
        with self.lock:
            wanted = {} if switch.paused_from(self.state_dir) else self.wanted
            for camera_id in list(self.pushers):
                pusher = self.pushers[camera_id]
                if wanted.get(camera_id) != pusher.target:
                    pusher.stop()
                    del self.pushers[camera_id]
                    logger.info("camera %s: push stopped", camera_id)
            now = time.monotonic()
            for camera_id, target in wanted.items():
                pusher = self.pushers.get(camera_id)
                if (
                    pusher is not None
                    and not pusher.is_running
                    and now - pusher.started_at >= RESTART_AFTER_S
                ):
                    self.push_failures[camera_id] = self.push_failures.get(camera_id, 0) + 1
                    pusher.stop()
                    pusher = None
                if pusher is None:
                    pusher = Pusher(camera_id, self.source_of(camera_id), target)
                    pusher.start()
                    self.pushers[camera_id] = pusher
                    logger.info("camera %s: pushing to %s:%s", camera_id, target.host, target.port)

    def watch_switch(self) -> None:
        """Notice `rtcc-edge pause` / `resume` from another process: stop at once, tell the hub."""
        now = switch.paused_from(self.state_dir)
        if now != self.paused_seen:
            self.paused_seen = now
            logger.info("paused by the owner" if now else "resumed by the owner")
            if self.channel is not None:
                self.channel.send(self.switch_message())
        self.apply()

    def keep_recording(self) -> None:
        """Every local camera has its segment writer; the ring stays within its days and bytes."""
        if not self.record:
            return
        now = time.monotonic()
        for camera_id, camera in self.local_cameras.items():
            recorder = self.recorders.get(camera_id)
            if recorder is not None and (recorder.is_running or now - recorder.started_at < RESTART_AFTER_S):
                continue
            recorder = self.recorders[camera_id] = Recorder(
                camera_id, camera.main, self.recordings / str(camera_id)
            )
            recorder.start()
        if now - self.pruned_at >= PRUNE_EVERY_S:
            self.pruned_at = now
            share = self.keep_bytes // max(len(self.local_cameras), 1)
            for camera_id in self.local_cameras:
                prune(self.recordings / str(camera_id), keep_days=self.keep_days, keep_bytes=share)

    def send_uploads(self) -> None:
        """Upload the windows the hub asks for, one at a time, never while paused; resumed where they stopped."""
        orders = [u for u in self.upload_orders if u.get("id") not in self.uploads_done]
        if not orders or self.paused_seen or (self.uploader is not None and self.uploader.is_alive()):
            return

        def work():
            for order in orders:
                if switch.paused_from(self.state_dir):
                    return
                try:
                    if upload_window(
                        self.hub, self.recordings, order, lambda: bool(switch.paused_from(self.state_dir))
                    ):
                        self.uploads_done.add(order["id"])
                except (HubError, OSError, KeyError, ValueError) as error:
                    logger.warning("upload %s stopped: %s; it resumes later", order.get("id"), error)

        self.uploader = threading.Thread(target=work, name="upload", daemon=True)
        self.uploader.start()

    def send_thumbnails(self) -> None:
        """The hub's idle cameras' pictures, over the channel only, and never while paused."""
        if self.paused_seen or self.channel is None or not self.channel.connected.is_set():
            return
        sources = {c: camera.sub or camera.main for c, camera in self.local_cameras.items()}
        self.thumbnails.send_due(sources, self.channel.send, lambda: bool(switch.paused_from(self.state_dir)))

    def write_status(self) -> None:
        status = {
            "agent_version": __version__,
            "paused": self.paused_seen,
            "channel": "open" if self.channel is not None and self.channel.connected.is_set() else "closed",
            "pushing": sorted(key for key in self.pushers if isinstance(key, int)),
            "pushing_substreams": sorted(key[0] for key in self.pushers if isinstance(key, tuple)),
            "recording": sorted(c for c, r in self.recorders.items() if r.is_running),
            "uploads_done": sorted(self.uploads_done),
            "thumbnails_sent": self.thumbnails.sent,
            "cameras": len(self.local_cameras),
            "written_at": time.time(),
        }
        partial = self.state_dir / "status.json.new"
        partial.write_text(json.dumps(status))
        os.replace(partial, self.state_dir / "status.json")

    # The main loop

    def run(self, stop: threading.Event, interval: float | None = None) -> None:
        if interval:
            self.interval, self.interval_chosen = interval, True
        self.channel = ControlChannel(self, stop)
        self.channel.start()
        next_fallback = time.monotonic() + 3.0  # the channel's first chance to open
        try:
            while not stop.is_set():
                if not self.channel.connected.is_set() and time.monotonic() >= next_fallback:
                    try:
                        self.reconcile(self.heartbeat())
                    except HubError as error:
                        logger.warning("%s; trying again at the next heartbeat", error)
                    next_fallback = time.monotonic() + self.interval
                self.watch_switch()
                self.keep_recording()
                self.send_uploads()
                self.send_thumbnails()
                self.write_status()
                stop.wait(0.5)
        finally:
            self.stop_all()
            self.channel.join(5)

    def stop_all(self) -> None:
        with self.lock:
            for process in [*self.pushers.values(), *self.recorders.values()]:
                process.stop()
            self.pushers.clear()
            self.recorders.clear()


def order_without_secret(camera) -> object:
    """A camera's order as a log line may show it: no passphrase."""
    return {k: v for k, v in camera.items() if k != "passphrase"} if isinstance(camera, dict) else camera


def add_substream(wanted: dict, camera_id: int, order: dict) -> None:
    """The camera's substream target, when the order names one (the hub listens for it): same passphrase."""
    sub = order.get("sub")
    if not isinstance(sub, dict):
        return
    try:
        wanted[(camera_id, "sub")] = PushTarget(
            str(sub["host"]), int(sub["port"]), str(order["passphrase"]), str(sub["stream_id"])
        )
    except (KeyError, TypeError, ValueError):
        logger.warning("ignored a malformed substream order of camera %s", camera_id)

"""Push simulated SRT streams for push cameras, as their edge devices would."""

import signal
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cameras.models import Camera
from cameras.simulator import LeaseFollowingCamera, SimulatedCamera
from cameras.simulator_clip import prepared_clip

RESTART_DELAY_S = 3.0  # a device whose relay went away calls again after a pause


def camera_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.replace(" ", ",").split(",") if part]
    except ValueError:
        raise CommandError(f"--camera-ids takes numbers separated by commas, not {text!r}") from None


class Command(BaseCommand):
    help = "Run one simulated camera (ffmpeg, SRT caller) per push camera until interrupted."

    def add_arguments(self, parser):
        parser.add_argument(
            "--count", type=int, default=None, help="how many push cameras (lowest ids first)"
        )
        parser.add_argument("--camera-ids", type=camera_ids, default=None, help="these cameras, e.g. 3,4,9")
        parser.add_argument("--host", default=None, help="call this host instead of the camera's push target")
        parser.add_argument(
            "--port-base",
            type=int,
            default=None,
            help="call port-base + camera id instead of the port the relay node gives",
        )
        parser.add_argument("--width", type=int, default=320)
        parser.add_argument("--height", type=int, default=240)
        parser.add_argument("--fps", type=int, default=15)
        parser.add_argument(
            "--sub-width", type=int, default=0, help="a camera's substream (if it has one); 0: half the width"
        )
        parser.add_argument("--sub-height", type=int, default=0, help="0: half the height")
        parser.add_argument(
            "--clips",
            type=Path,
            default=None,
            help="push a clip pre-encoded once per camera (kept in this folder) with -c copy, not a live encode",
        )

    def handle(self, *args, **options):
        cameras = self.cameras(options["camera_ids"], options["count"])
        if not cameras:
            raise CommandError("no enabled push cameras match")
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        devices: dict[int, SimulatedCamera] = {}
        restart_at: dict[int, float] = {}
        try:
            while not stopping.is_set():
                for camera in cameras:
                    device = devices.get(camera.pk)
                    if device is not None and device.is_running:
                        if isinstance(device, LeaseFollowingCamera) and device.sub is not None:
                            device.start_if_leased()  # its substream, as its orders say
                        continue
                    if device is not None and device.process is not None and camera.pk not in restart_at:
                        restart_at[camera.pk] = time.monotonic() + RESTART_DELAY_S
                    if time.monotonic() < restart_at.get(camera.pk, 0):
                        continue
                    restart_at.pop(camera.pk, None)
                    devices[camera.pk] = self.start_device(camera, options, again=device is not None)
                stopping.wait(0.5)
        finally:
            for device in devices.values():
                device.stop()
            self.stdout.write(f"stopped {len(devices)} simulated camera(s)")

    def cameras(self, ids: list[int] | None, count: int | None) -> list[Camera]:
        queryset = Camera.objects.filter(source=Camera.Source.PUSH, enabled=True).order_by("pk")
        if ids is not None:
            queryset = queryset.filter(pk__in=ids)
            missing = set(ids) - set(queryset.values_list("pk", flat=True))
            if missing:
                self.stderr.write(f"not enabled push cameras, skipped: {sorted(missing)}")
        if count is not None:
            queryset = queryset[: max(count, 0)]
        return list(queryset)

    def start_device(self, camera: Camera, options: dict, *, again: bool) -> SimulatedCamera:
        size = {"width": options["width"], "height": options["height"], "fps": options["fps"]}
        if options["clips"] is not None:
            size["clip"] = prepared_clip(options["clips"], camera.name, **size)
        if options["port_base"] is None and options["host"] is None:
            # As a box does: push only while a relay node listens, to the port it took.
            device = LeaseFollowingCamera(camera, substream=self.substream(camera, options), **size)
            device.start()
            if device.is_running and not again:
                self.stdout.write(
                    f"camera {camera.pk} {camera.name!r}: pushing to srt://{device.host}:{device.port}"
                )
            return device
        host, port = options["host"] or "127.0.0.1", (options["port_base"] or 20000) + camera.pk
        device = SimulatedCamera.for_camera(camera, host=host, port=port, **size)
        device.start()
        if not again:
            self.stdout.write(f"camera {camera.pk} {camera.name!r}: pushing to srt://{host}:{port}")
        return device

    def substream(self, camera: Camera, options: dict) -> dict | None:
        """The options of the camera's simulated substream; None when it has none."""
        if not camera.substream:
            return None
        size = {
            "width": options["sub_width"] or options["width"] // 2 // 2 * 2,
            "height": options["sub_height"] or options["height"] // 2 // 2 * 2,
            "fps": options["fps"],
        }
        if options["clips"] is not None:
            size["clip"] = prepared_clip(options["clips"], f"{camera.name} sub", **size)
        return size

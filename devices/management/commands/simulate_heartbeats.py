"""Heartbeats for the demo's simulated boxes, whose cameras `simulate_cameras` pushes."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from devices.edge import __version__ as edge_agent_version
from devices.enrollment import HEARTBEAT_INTERVAL_S, do_record_heartbeat
from devices.models import Device

# The simulated boxes follow the orders this release's edge agent follows.
SIMULATED_AGENT = f"{edge_agent_version}+simulated"


def serial_list(text: str) -> list[str]:
    serials = [part for part in text.replace(" ", ",").split(",") if part]
    if not serials:
        raise CommandError("--serials takes serial numbers separated by commas")
    return serials


class Command(BaseCommand):
    help = "Record a heartbeat every 30 s for the named devices, as their agents would, until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--serials", type=serial_list, required=True, help="these devices, e.g. A-1,A-2")
        parser.add_argument("--interval", type=float, default=HEARTBEAT_INTERVAL_S)

    def handle(self, *args, serials, interval, **options):
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        while not stopping.is_set():
            # The demo stops when one of its children exits: a busy database or boxes an admin
            # retired are reported and tried again, never a reason to end.
            try:
                if self.beat(serials) == 0:
                    self.stderr.write("none of these devices can report (unknown or retired)")
            except DatabaseError as error:
                self.stderr.write(f"heartbeat not recorded: {error}")
            stopping.wait(interval)

    def beat(self, serials: list[str]) -> int:
        count = 0
        devices = Device.objects.filter(serial__in=serials).exclude(state=Device.State.RETIRED)
        for device in devices.prefetch_related("cameras"):
            cameras = [{"id": camera.pk, "errors": 0} for camera in device.cameras.all()]
            do_record_heartbeat(device, agent_version=SIMULATED_AGENT, cameras=cameras, ip="127.0.0.1")
            count += 1
        return count

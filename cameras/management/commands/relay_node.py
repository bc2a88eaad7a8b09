"""Run a relay node in the foreground until SIGINT or SIGTERM."""

import signal
import socket

from django.core.management.base import BaseCommand, CommandError

from cameras.relay.node import NodeNameInUse, RelayNodeRunner
from cameras.relay.ports import PortRangeRefused


class Command(BaseCommand):
    help = "Run a relay node: lease cameras that may be seen now and keep an ffmpeg relay for each."

    def add_arguments(self, parser):
        parser.add_argument(
            "--name", default=socket.gethostname(), help="unique node name (default: host name)"
        )
        parser.add_argument("--srt-host", default="", help="address devices call to reach this node")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between passes")

    def handle(self, *args, name, srt_host, interval, **options):
        if not 0.1 <= interval <= 10:
            raise CommandError("--interval is 0.1 to 10 seconds.")
        runner = RelayNodeRunner(name, srt_host=srt_host, interval=interval)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: runner.stop())
        try:
            runner.run()
        except (NodeNameInUse, PortRangeRefused) as error:
            raise CommandError(str(error)) from None

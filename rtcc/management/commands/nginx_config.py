"""Print the nginx `upstream` and `server` blocks that put N web processes behind one address."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rtcc.nginx import PROTECTED_MEDIA, server_block


class Command(BaseCommand):
    help = (
        "Print the nginx blocks for the hub (include them in the http block of nginx.conf): "
        "pages, API and WebSockets proxied to the web processes, media sent by nginx after each "
        "web process authorises it. See docs/DEPLOY.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--web",
            action="append",
            required=True,
            metavar="HOST:PORT",
            help="a web (daphne) process; repeat for each",
        )
        parser.add_argument("--listen", default="80", help="nginx's listen directive (default: 80)")
        parser.add_argument("--server-name", default="_", help="nginx's server_name (default: _)")

    def handle(self, *args, **options):
        for upstream in options["web"]:
            host, _, port = upstream.rpartition(":")
            if not host or not port.isdigit():
                raise CommandError(f"--web takes HOST:PORT, not {upstream!r}")
        if settings.RTCC_MEDIA_ACCEL_REDIRECT != PROTECTED_MEDIA:
            self.stderr.write(
                f"note: set RTCC_MEDIA_ACCEL_REDIRECT={PROTECTED_MEDIA} for the web processes, "
                "so that nginx, not Python, sends the media files"
            )
        self.stdout.write(
            server_block(
                options["web"],
                settings.MEDIA_ROOT,
                listen=options["listen"],
                server_name=options["server_name"],
            )
        )

"""`manage.py demo`: the whole system on one machine, as children of this process."""

import base64
import binascii
import os
import secrets
import socket
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from cameras.simulator_clip import clip_path, prepared_clip
from rtcc import demo_data
from rtcc.embedded_redis import EmbeddedRedis
from rtcc.supervisor import Child, Supervisor

# Each simulated camera's main stream and its substream (docs/wall.md, "Substreams").
CLIP_SIZE = {"width": 640, "height": 360, "fps": 15}
SUB_CLIP_SIZE = {"width": 320, "height": 240, "fps": 15}
SIZE_ARGUMENTS = [
    *("--width", str(CLIP_SIZE["width"]), "--height", str(CLIP_SIZE["height"])),
    *("--sub-width", str(SUB_CLIP_SIZE["width"]), "--sub-height", str(SUB_CLIP_SIZE["height"])),
]


def demo_password() -> str:
    """RTCC_DEMO_PASSWORD, else the one generated on a first run (kept so a second run reuses it)."""
    explicit = os.environ.get("RTCC_DEMO_PASSWORD")
    if explicit:
        return explicit
    path = Path(settings.VAR_DIR) / "demo-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.write_text(password)
    path.chmod(0o600)
    return password


def demo_totp_secret() -> str:
    """RTCC_DEMO_TOTP_SECRET (base32), else one generated on a first run and kept, like the password."""
    explicit = os.environ.get("RTCC_DEMO_TOTP_SECRET", "").strip()
    path = Path(settings.VAR_DIR) / "demo-totp-secret"
    if not explicit and path.exists():
        explicit = path.read_text().strip()
    if explicit:
        secret = explicit.replace(" ", "").upper()
        try:
            key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        except binascii.Error:
            raise CommandError("RTCC_DEMO_TOTP_SECRET is not base32 (letters A-Z and digits 2-7).") from None
        if len(key) < 10:
            raise CommandError("RTCC_DEMO_TOTP_SECRET is too short: give at least 16 base32 characters.")
        return secret
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    path.write_text(secret)
    path.chmod(0o600)
    return secret


class Command(BaseCommand):
    help = "Set up and run the demo: embedded Redis, web server, Celery worker and beat, simulated cameras."

    def add_arguments(self, parser):
        parser.add_argument(
            "--port", type=int, default=settings.RTCC_DEMO_PORT, help="HTTP port (RTCC_PORT, default 8000)"
        )
        parser.add_argument("--no-cameras", action="store_true", help="do not start the simulated cameras")

    def handle(self, *args, port, no_cameras, **options):
        redis = None
        if not settings.REDIS_URL:
            self.step(f"starting the embedded Redis on {settings.EMBEDDED_REDIS_SOCKET}")
            redis = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
        try:
            self.step("applying database migrations")
            call_command("migrate", interactive=False, verbosity=0)
            self.step("loading the demo data")
            password, totp_secret = demo_password(), demo_totp_secret()
            seeded = demo_data.seed(password, totp_secret, settings.RTCC_DEMO_CAMERAS)
            if not no_cameras:
                self.prepare_clips(seeded["cameras"])
            children = self.children(port, seeded, no_cameras)
            if redis is not None and redis.owned:
                # Watched and restarted like the rest; first, so that it stops last.
                children.insert(0, Child("redis", redis.argv(), process=redis.process))
            supervisor = Supervisor(children)
            code = supervisor.run(on_started=lambda: self.announce_when_up(port, password, totp_secret))
        finally:
            if redis is not None and redis.owned:
                redis.stop()
        self.stdout.write("demo stopped")
        sys.exit(code)

    def children(self, port: int, seeded: dict, no_cameras: bool) -> list[Child]:
        python = sys.executable
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        beat_schedule = str(Path(settings.VAR_DIR) / "celerybeat-schedule")
        celery = [python, "-m", "celery", "-A", "rtcc", "--quiet"]
        children = [
            Child(
                "web", [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "rtcc.asgi:application"]
            ),
            Child(
                "worker", [*celery, *"worker --loglevel WARNING --concurrency 2 -n demo-worker@%h".split()]
            ),
            Child("beat", [*celery, "beat", "--loglevel", "WARNING", "--schedule", beat_schedule]),
        ]
        # The relay node runs in a Celery worker of its own, as in production (docs/relay-fleet.md).
        relay_worker = "worker --relay -n demo-relay@%h -Q relays -c 1 --loglevel WARNING"
        children.append(Child("relay-node", [*celery, *relay_worker.split()]))
        if not no_cameras:
            ids = ",".join(str(camera.pk) for camera in seeded["cameras"])
            clips = ["--clips", str(self.clip_cache()), *SIZE_ARGUMENTS]
            children.append(
                Child("cameras", [python, manage, "simulate_cameras", "--camera-ids", ids, *clips])
            )
            # The boxes those cameras stand behind report as real agents do, so they show as online.
            serials = ",".join(sorted({c.device.serial for c in seeded["cameras"] if c.device_id}))
            if serials:
                children.append(Child("boxes", [python, manage, "simulate_heartbeats", "--serials", serials]))
        return children

    def clip_cache(self) -> Path:
        return Path(settings.VAR_DIR) / "demo-clips"

    def prepare_clips(self, cameras) -> None:
        """Each simulated camera pushes a clip of its own with -c copy: encoded here, once, and
        kept for the next run, so that the simulator costs almost nothing while it runs."""
        clips = [(c.name, CLIP_SIZE) for c in cameras]
        clips += [(f"{c.name} sub", SUB_CLIP_SIZE) for c in cameras if c.substream]
        missing = [
            (name, size) for name, size in clips if not clip_path(self.clip_cache(), name, **size).exists()
        ]
        if missing:
            self.step(f"encoding {len(missing)} camera clip(s) into {self.clip_cache()} (once)")
        for name, size in missing:
            prepared_clip(self.clip_cache(), name, **size)

    def step(self, text: str) -> None:
        self.stdout.write(f"==> {text}")
        self.stdout.flush()

    def announce_when_up(self, port: int, password: str, totp_secret: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.stderr.write(
                f"the web server did not open port {port} within {timeout:.0f} s; see its log above"
            )
        self.banner(port, password, totp_secret)

    def banner(self, port: int, password: str, totp_secret: str) -> None:
        url = f"http://127.0.0.1:{port}/"
        lines = [
            "",
            f"OpenRTCC demo is running at {url}",
            f"  video wall   {url}wall/        resident portal {url}portal/",
            f"  admin        {url}admin/       API docs        {url}api/v1/docs/",
            f"  password for every user below: {password}",
            f"  authenticator (TOTP) secret of every agency user: {totp_secret}",
            "    (add it to an authenticator app; sign-in asks for its 6-digit code)",
            "  admin (agency admin), dispatcher, supervisor, oversight, cad   — riverside-pd",
            "  dispatcher2                                                  — lakeview-so",
            "  resident (owns several cameras, some live), cornerdeli, neighbour",
            "Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()

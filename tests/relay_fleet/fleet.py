"""Fixtures for relay fleet tests: an agency with a contract, relay nodes as OS processes, devices.

Relay nodes run as `manage.py relay_node` in their own process groups, pointed at the
test database through DATABASE_URL, exactly as in production; every process a test
starts is stopped in its cleanup, whatever happened.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase
from django.utils import timezone

from agencies.models import Agency
from billing.models import Contract, Package
from cameras.models import Camera, Consent
from cameras.relay.clock import database_now_plus
from cameras.relay.demand import demand_key
from cameras.relay.layout import live_dir
from cameras.relay.models import RelayLease, RelayNode
from cameras.relay.wake import redis_client
from cameras.simulator import LeaseFollowingCamera
from cameras.viewing.models import ViewingSession
from devices.edge import __version__ as edge_agent_version
from devices.models import Device
from rtcc.ffmpeg import running_ffmpegs
from tests.personas import Personas, make_active_contract, make_agency_admin, make_camera, make_user

ROOT = Path(settings.BASE_DIR)


def wait_for(condition, timeout: float, message: str, interval: float = 0.2):
    """Poll `condition` until it returns something truthy; fail with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} (within {timeout:.0f} s)")
        time.sleep(interval)


class TwoNodes(Personas):
    """Two relay nodes, registered, and the personas' live camera for them to hold."""

    def setUp(self):
        self.one = RelayNode.objects.create(name="one")
        self.two = RelayNode.objects.create(name="two")
        self.camera_id = self.live_camera.pk


def lapse_lease(camera_id: int) -> None:
    """Make the camera's lease lapse now by the database's clock, as if its holder stopped renewing."""
    RelayLease.objects.filter(camera_id=camera_id).update(
        acquired_at=database_now_plus(-60), expires_at=database_now_plus(-1)
    )


def database_url_for_children() -> str:
    """A DATABASE_URL for the database this test runs on, for child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{db['HOST']}{port}/{db['NAME']}"


def ffmpeg_pids_by_camera() -> dict[int, list[int]]:
    """{camera id: [pid, ...]} of every ffmpeg on this machine writing a camera's live folder."""

    marker = str(live_dir(0).parent) + os.sep
    found: dict[int, list[int]] = {}
    for pid, argv in running_ffmpegs():
        for arg in argv:
            text = arg.decode(errors="replace")
            if text.startswith(marker):
                camera = text[len(marker) :].split(os.sep, 1)[0]
                if camera.isdigit():
                    found.setdefault(int(camera), []).append(pid)
                break
    return found


class NodeProcess:
    """`manage.py relay_node --name NAME` in its own process group."""

    def __init__(self, name: str, **settings_env):
        self.name = name
        argv = [sys.executable, str(ROOT / "manage.py"), "relay_node", "--name", name, "--interval", "0.5"]
        self.start(argv, f"relay-node-{name}.log", settings_env)

    def start(self, argv: list[str], log_name: str, settings_env: dict) -> None:
        """Run `argv` with the test's database and settings, its output in `log_name` under var/."""
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_children(),
            "LOG_LEVEL": "WARNING",
            **settings_env,
        }
        self.log = open(Path(settings.VAR_DIR) / log_name, "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_hard(self) -> None:
        """SIGKILL the node's Python process only: its ffmpeg children must die with it by themselves."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    stop_wait_seconds = 15

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(self.stop_wait_seconds)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        self.log.close()


class RelayWorker(NodeProcess):
    """`celery -A rtcc worker --relay -n NAME@test` in its own process group; stopped as a node is."""

    def __init__(self, name: str):  # not super().__init__: that starts `manage.py relay_node`
        self.name = f"{name}@test"
        argv = [
            *(sys.executable, "-m", "celery", "-A", "rtcc", "worker", "--relay"),
            *("-n", self.name, "-Q", "relays-test", "-c", "1", "--without-mingle", "--without-gossip"),
            *("--loglevel", "WARNING"),
        ]
        self.start(argv, f"celery-relay-{name}.log", {})

    stop_wait_seconds = 30  # a warm shutdown lets the pool and the relay thread finish


def open_session(user, agency: Agency, camera: Camera, purpose: str, case_number: str) -> ViewingSession:
    """A viewing session for a case, open for the next hour."""
    return ViewingSession.objects.create(
        user=user,
        agency=agency,
        camera=camera,
        purpose=purpose,
        case_number=case_number,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def give_active_contract(agency: Agency, reference: str) -> Contract:
    package, _ = Package.objects.get_or_create(
        slug="standard", defaults={"name": "Standard", "price_per_device_year": 150}
    )
    today = date.today()
    return make_active_contract(
        agency,
        package,
        reference,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=300),
        device_quota=10,
        price_per_device_year=150,
    )


class FleetTestCase(TransactionTestCase):
    """An agency with an active contract, a resident with push cameras, and cleanup of processes."""

    def setUp(self):
        self.agency = Agency.objects.create(
            slug="riverside-pd", name="Riverside PD", time_zone="America/Chicago", lat=41.88, lon=-87.63
        )
        self.other_agency = Agency.objects.create(
            slug="lakeview-so", name="Lakeview SO", time_zone="America/Chicago", lat=41.94, lon=-87.65
        )
        for number, agency in enumerate([self.agency, self.other_agency]):
            give_active_contract(agency, f"C-{number}")
        self.admin = make_agency_admin("alice-admin", self.agency)
        self.dispatcher = make_user("dan-dispatcher", self.agency)
        self.outsider = make_user("olga-outsider", self.other_agency)
        self.resident = make_user("rita-resident")
        # Live sharing needs an edge device the owner claimed; the simulated devices stand in for it.
        # The simulated devices follow orders as this release's edge agent does, and say so.
        self.edge_box = Device.objects.create(
            serial="EDGE-FLEET",
            owner=self.resident,
            agency=self.agency,
            state=Device.State.ONLINE,
            agent_version=edge_agent_version,
        )

    def forget_demand(self) -> None:
        """No demand from an earlier test, and none left for the next."""
        redis_client().delete(demand_key())
        self.addCleanup(redis_client().delete, demand_key())

    def add_camera(self, name: str, level: str | None = Consent.Level.NONE, **extra) -> Camera:
        extra.setdefault("device", self.edge_box)
        return make_camera(self.agency, name, owner=self.resident, level=level, **extra)

    def start_node(self, name: str, **settings_env) -> NodeProcess:
        node = NodeProcess(name, **settings_env)
        self.addCleanup(node.stop)
        return node

    def start_device(self, camera: Camera):
        """A simulated edge device pushing a test pattern to the port a node leased for the camera,
        once one has, and again whenever its push ends, as a box following its orders would."""
        device = LeaseFollowingCamera(camera, follow=True, fps=10)
        device.start()
        self.addCleanup(device.stop)
        return device

    def status_of(self, camera: Camera) -> str:
        return Camera.objects.values_list("status", flat=True).get(pk=camera.pk)

    def wait_status(self, camera: Camera, status: str, timeout: float, devices=()):
        """Wait for the camera's status, restarting any device that gave up (as an edge agent would)."""

        def reached():
            for device in devices:
                if not device.is_running:
                    device.start()
            return self.status_of(camera) == status

        wait_for(reached, timeout, f"camera {camera.pk} never became {status!r}")

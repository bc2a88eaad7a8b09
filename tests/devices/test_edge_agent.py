"""The edge agent against a running hub over HTTP only (the control channel's fallback: this live
server speaks no WebSocket): it pushes what the hub orders and stops on revocation."""

import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from django.contrib.auth import get_user_model
from django.test import LiveServerTestCase
from django.utils import timezone

from agencies.models import Agency
from billing.models import Contract, Package
from cameras.models import Consent
from cameras.relay.models import RelayLease, RelayNode
from cameras.services import do_revoke_consent
from devices.edge.agent import EdgeAgent
from devices.models import Device
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import free_port
from tests.personas import make_camera
from tests.relay_fleet.fleet import wait_for


def claimed_box_with_a_camera(agency, owner, serial: str, code: str = "Q7Z4-PL2M"):
    """A box its owner claimed, with claim code `code`, and one push camera on it: (device, camera)."""
    device = Device(serial=serial, owner=owner, agency=agency, state=Device.State.CLAIMED)
    device.set_claim_code(code)
    device.save()
    return device, make_camera(agency, "Porch", owner=owner, lat=41.88, lon=-87.63, device=device)


@pytest.mark.ffmpeg
class EdgeAgentTests(LiveServerTestCase):
    def setUp(self):
        agency = Agency.objects.create(slug="riverside-pd", name="Riverside PD", lat=41.88, lon=-87.63)
        today = timezone.localdate()
        Contract.objects.create(
            agency=agency,
            reference="C-1",
            device_quota=5,
            status=Contract.Status.ACTIVE,
            package=Package.objects.create(slug="live", name="Live", price_per_device_year=Decimal("750")),
            starts_on=today.replace(day=1),
            ends_on=today.replace(year=today.year + 1),
            price_per_device_year=Decimal("700"),
        )
        self.owner = get_user_model().objects.create_user("rita")
        _, self.camera = claimed_box_with_a_camera(agency, self.owner, "EDGE-42")
        Consent.objects.create(camera=self.camera, level=Consent.Level.LIVE, set_by=self.owner)
        # The bare listener below stands in for a relay node holding the camera's lease.
        now = timezone.now()
        self.port = free_port()
        RelayLease.objects.create(
            srt_port=self.port,
            camera=self.camera,
            node=RelayNode.objects.create(name="listener", srt_host="127.0.0.1"),
            acquired_at=now,
            expires_at=now + timedelta(hours=1),
        )

    def start_hub_listener(self, output_dir) -> subprocess.Popen:
        """A bare ffmpeg SRT listener standing in for the relay node: the peer the agent talks to."""
        url = f"srt://127.0.0.1:{self.port}?mode=listener&passphrase={self.camera.srt_passphrase}&pbkeylen=32"
        argv = [find_ffmpeg().path, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", url, "-c", "copy",
                "-f", "hls", "-hls_time", "1", str(output_dir / "index.m3u8")]  # fmt: skip
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL)

    def test_agent_pushes_while_consent_holds_and_stops_on_revoke(self):
        with TemporaryDirectory() as temp:
            temp = Path(temp)
            listener = self.start_hub_listener(temp)
            agent = EdgeAgent(
                self.live_server_url, "EDGE-42", "q7z4-pl2m", {self.camera.pk: "testsrc:"}, temp / "state"
            )
            stop = threading.Event()
            thread = threading.Thread(target=agent.run, args=(stop, 0.5))
            thread.start()
            try:
                wait_for(
                    lambda: len(list(temp.glob("index*.ts"))) >= 2, 20, "HLS segments from the pushed stream"
                )
                self.assertEqual((temp / "state" / "device-token").stat().st_mode & 0o777, 0o600)
                pusher = agent.pushers[self.camera.pk]
                do_revoke_consent(self.owner, self.camera)
                wait_for(
                    lambda: not agent.pushers and pusher.process.poll() is not None, 5, "the push to stop"
                )
            finally:
                stop.set()
                thread.join(15)
                listener.kill()
                listener.wait()
        self.assertFalse(thread.is_alive())

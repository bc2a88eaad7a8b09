"""The real agent against a live hub: it keeps a rotated token, reports its health, and a revoked token ends it."""

from pathlib import Path
from tempfile import TemporaryDirectory

from django.contrib.auth import get_user_model
from django.test import LiveServerTestCase

from agencies.models import Agency
from devices.edge import __version__
from devices.edge.agent import EdgeAgent, HubError
from devices.models import hash_token
from devices.tokens import do_request_token_rotation, do_revoke_token
from tests.devices.test_edge_agent import claimed_box_with_a_camera


class AgentTokenTests(LiveServerTestCase):
    def setUp(self):
        agency = Agency.objects.create(slug="riverside-pd", name="Riverside PD", lat=41.88, lon=-87.63)
        self.owner = get_user_model().objects.create_user("rita")
        self.device, self.camera = claimed_box_with_a_camera(agency, self.owner, "EDGE-43")
        self.temp = TemporaryDirectory()
        self.state_dir = Path(self.temp.name) / "state"
        # The camera is not pushed (no consent), so no ffmpeg runs: this is about tokens and reports.
        self.agent = EdgeAgent(
            self.live_server_url, "EDGE-43", "q7z4pl2m", {self.camera.pk: "testsrc:"}, self.state_dir
        )

    def tearDown(self):
        self.agent.stop_all()
        self.temp.cleanup()

    def stored_token(self) -> str:
        return (self.state_dir / "device-token").read_text()

    def test_agent_reports_health_and_keeps_a_rotated_token(self):
        self.agent.reconcile(self.agent.heartbeat())
        self.agent.reconcile(self.agent.heartbeat())
        self.device.refresh_from_db()
        self.assertEqual((self.device.state, self.device.agent_version), ("online", __version__))
        self.assertEqual(self.device.camera_health[str(self.camera.pk)]["errors"], 0)
        first = self.stored_token()
        do_request_token_rotation(None, self.device)
        self.agent.heartbeat()
        second = self.stored_token()
        self.assertNotEqual(first, second)
        self.assertEqual((self.state_dir / "device-token").stat().st_mode & 0o777, 0o600)
        self.device.refresh_from_db()
        self.assertEqual(self.device.token_hash, hash_token(second))
        self.agent.heartbeat()  # the new token works
        self.assertEqual(self.stored_token(), second)

    def test_a_revoked_token_is_refused_and_the_agent_cannot_enroll_again(self):
        self.agent.heartbeat()
        do_revoke_token(None, self.device)
        with self.assertRaisesRegex(HubError, "HTTP 403.*new claim code"):
            self.agent.heartbeat()
        self.device.refresh_from_db()
        self.assertIsNone(self.device.token_hash)

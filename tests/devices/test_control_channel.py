"""The control channel end to end: `rtcc-edge run` as a real process, a live hub (daphne), a relay
node, real ffmpeg over SRT. The box pushes a camera only while the hub asks, and its owner's
pause stops everything, whatever the hub wants."""

import time
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest

from cameras.models import Camera, Consent
from cameras.relay.demand import add_demand, release_demand
from cameras.relay.status import PAUSED_REASON
from devices.models import Device
from devices.pause import FROM_PORTAL, do_resume_device
from tests.browser.processes import start_daphne, stop
from tests.devices.edge_processes import EdgeBox, pushes_of
from tests.relay_fleet.fleet import FleetTestCase, ffmpeg_pids_by_camera, wait_for

pytestmark = pytest.mark.ffmpeg

CODE = "Q7Z4-PL2M"


class ControlChannelTests(FleetTestCase):
    def setUp(self):
        super().setUp()
        self.forget_demand()
        self.edge_box.set_claim_code(CODE)
        self.edge_box.save(update_fields=["claim_code_hash"])
        self.camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE, relay_mode="on_demand")
        temp = TemporaryDirectory()
        self.addCleanup(temp.cleanup)
        self.box = EdgeBox(Path(temp.name))
        self.addCleanup(self.box.stop)
        self.daphne_log = Path(temp.name) / "daphne.log"
        self.daphne, self.hub = start_daphne(self.daphne_log)
        self.addCleanup(lambda: stop(self.daphne))
        self.start_node("solo", RTCC_RELAY_LINGER_SECONDS="2")

    def start_agent(self):
        return self.box.start(
            *("--hub", self.hub, "--serial", "EDGE-FLEET", "--claim-code", CODE),
            *("--camera", f"{self.camera.pk}=testsrc:", "--no-record", "--interval", "2"),
        )

    def pushing(self) -> bool:
        return self.box.status().get("pushing") == [self.camera.pk]

    def test_box_pushes_only_while_demanded_and_stops_when_told(self):
        agent = self.start_agent()
        wait_for(lambda: self.box.status().get("channel") == "open", 30, f"no channel:\n{self.box.log()}")
        time.sleep(3)  # several node passes and heartbeats with nobody watching
        self.assertEqual(self.box.status()["pushing"], [])
        self.assertEqual(pushes_of(agent.pid), [], "a camera was pushed that the hub did not ask for")

        add_demand(self.camera.pk, "test-viewer", 60)
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=40)
        self.assertTrue(self.pushing())
        [push] = pushes_of(agent.pid)
        self.assertIn(self.camera.stream_id, push)
        self.edge_box.refresh_from_db()
        self.assertEqual(self.edge_box.state, Device.State.ONLINE)

        def pushed_frames_reported():
            health = Device.objects.get(pk=self.edge_box.pk).camera_health.get(str(self.camera.pk), {})
            return health.get("frames", 0) > 0 and health.get("bitrate_kbps", 0) > 0

        wait_for(pushed_frames_reported, 15, "the box never reported the frames it pushed")

        release_demand(self.camera.pk, "test-viewer")
        wait_for(lambda: not pushes_of(agent.pid), 20, "the box still pushes after the relay stopped")
        wait_for(lambda: not ffmpeg_pids_by_camera().get(self.camera.pk), 10, "the relay still runs")

    def test_the_owners_pause_stops_the_push_and_the_hub_cannot_override_it(self):
        agent = self.start_agent()
        add_demand(self.camera.pk, "test-viewer", 120)
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=40)

        result = self.box.command("pause")
        self.assertEqual(result.returncode, 0, result.stderr)
        wait_for(lambda: not pushes_of(agent.pid), 10, "the push went on after the owner paused the box")
        wait_for(
            lambda: Camera.objects.get(pk=self.camera.pk).status_reason == PAUSED_REASON,
            10,
            "the hub never showed the pause",
        )
        self.assertEqual(Device.objects.get(pk=self.edge_box.pk).paused_from, "box")

        # The hub still demands the camera; a resume from the portal does not lift a pause made on the box.
        add_demand(self.camera.pk, "another-viewer", 120)
        self.assertFalse(do_resume_device(self.edge_box, FROM_PORTAL))
        time.sleep(4)
        self.assertEqual(pushes_of(agent.pid), [])
        self.assertFalse(ffmpeg_pids_by_camera().get(self.camera.pk), "a relay waits for a paused box")
        self.assertIn('"paused": "box"', self.box.command("status").stdout)

        self.assertEqual(self.box.command("resume").returncode, 0)
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=40)
        self.assertTrue(pushes_of(agent.pid))
        self.assertIsNone(Device.objects.get(pk=self.edge_box.pk).paused_at)

    def test_the_channel_comes_back_by_itself_after_the_hub_restarts(self):
        self.start_agent()
        wait_for(lambda: self.box.status().get("channel") == "open", 30, f"no channel:\n{self.box.log()}")
        stop(self.daphne)
        wait_for(lambda: self.box.status().get("channel") == "closed", 10, "the box never saw the hub go")
        time.sleep(3)  # a few failed attempts, each waiting longer
        self.daphne, _ = start_daphne(self.daphne_log, port=int(self.hub.rsplit(":", 1)[1]))
        wait_for(
            lambda: self.box.status().get("channel") == "open", 30, f"never reconnected:\n{self.box.log()}"
        )
        self.assertIn("control channel lost", self.box.log())

        add_demand(self.camera.pk, "test-viewer", 60)
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=40)

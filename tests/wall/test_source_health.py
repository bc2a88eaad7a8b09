"""The wall's camera list shows what the box reports of each camera's source: its bitrate, or
its last error, as data (a box writes it)."""

from cameras.wall.services import camera_states
from devices.enrollment import do_record_heartbeat
from tests.personas import Personas


class SourceHealthTests(Personas):
    def states(self) -> dict:
        return {state["id"]: state for state in camera_states(self.dispatcher)}

    def test_the_boxs_report_reaches_the_wall_state(self):
        self.assertIsNone(self.states()[self.live_camera.pk]["source_health"], "no report yet")
        do_record_heartbeat(
            self.device,
            agent_version="1.4.0",
            cameras=[{"id": self.live_camera.pk, "frames": 300, "bitrate_kbps": 980.5, "errors": 2,
                      "last_error": "<b>RTSP 401</b>"}],
        )  # fmt: skip
        health = self.states()[self.live_camera.pk]["source_health"]
        self.assertEqual(health["bitrate_kbps"], 980.5)
        self.assertEqual((health["frames"], health["errors"]), (300, 2))
        self.assertEqual(health["last_error"], "<b>RTSP 401</b>", "kept as text; the page never parses it")
        self.assertEqual(health["agent_version"], "1.4.0")
        self.assertTrue(health["reported_at"])

    def test_a_camera_without_a_box_has_no_source_health(self):
        self.assertIsNone(self.states()[self.street_camera.pk]["source_health"])

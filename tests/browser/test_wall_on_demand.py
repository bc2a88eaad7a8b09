"""An on-demand camera on the wall in a real Chromium: idle until a dispatcher opens it, then
relayed and playing, and gone again after the last viewer leaves and the linger."""

import os
import threading

import pytest

from cameras.models import Camera
from tests.browser.wall import PLAYBACK_TIMEOUT_MS, WallBrowserCase
from tests.relay_fleet.fleet import FleetTestCase, NodeProcess, ffmpeg_pids_by_camera, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]


class OnDemandWallTests(WallBrowserCase):
    start_device = FleetTestCase.start_device

    def setUp(self):
        super().setUp()
        Camera.objects.filter(pk=self.street_camera.pk).update(source=Camera.Source.NONE)
        Camera.objects.filter(pk=self.live_camera.pk).update(relay_mode=Camera.RelayMode.ON_DEMAND)
        node = NodeProcess(f"on-demand-browser-{os.getpid()}", RTCC_RELAY_LINGER_SECONDS="2")
        self.addCleanup(node.stop)
        device = self.start_device(self.live_camera)
        # The box calls again whenever nobody listens, as an edge agent does.
        done = threading.Event()

        def keep_calling():
            while not done.wait(0.5):
                if not device.is_running:
                    device.start()

        caller = threading.Thread(target=keep_calling, daemon=True)
        caller.start()
        self.addCleanup(caller.join, 5)
        self.addCleanup(done.set)

    def relayed(self) -> bool:
        return bool(ffmpeg_pids_by_camera().get(self.live_camera.pk))

    def test_opening_an_idle_camera_starts_it_and_closing_the_tile_lets_it_go(self):
        page = self.page
        self.sign_in_to_wall()
        item = f"#camera-list li[data-camera-id='{self.live_camera.pk}']"
        page.wait_for_selector(item)
        self.assertIn("idle", page.inner_text(item).lower())
        self.assertFalse(self.relayed(), "relayed before anyone opened it")

        page.click(item)
        page.wait_for_selector("#purpose-dialog[open]")
        page.fill("#purpose-case", "RPD-2026-0042")
        page.fill("#purpose-reason", "Package theft on the block")
        page.click("#purpose-ok")
        self.wait_until_every_tile_advances([self.live_camera])
        self.shot("on-demand-playing")

        # Close the tile: the view ends, and the relay goes after the linger.
        page.click(f"{self.tile(self.live_camera)}")
        page.keyboard.press("Delete")
        wait_for(lambda: not self.relayed(), PLAYBACK_TIMEOUT_MS / 1000, "the relay outlived its last viewer")
        wait_for(
            lambda: Camera.objects.values_list("status", flat=True).get(pk=self.live_camera.pk) == "idle",
            30,
            "the camera never went back to idle",
        )

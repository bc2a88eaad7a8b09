"""The wall in a real Chromium against daphne on the test database.

`RelayedWallTests` plays live tiles from the real relay fleet: a relay node process and
simulated edge devices pushing SRT. `SnapshotWallTests` needs many cameras with pictures
but not a relay each (`PatternWallCase`, tests/browser/wall.py).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cameras.models import Camera
from cameras.services import do_revoke_consent
from cameras.wall.models import Layout
from tests.browser.chromium import ARTIFACTS
from tests.browser.processes import start_test_pattern, stop
from tests.browser.wall import (
    PLAYBACK_TIMEOUT_MS,
    PUSH_TIMEOUT_MS,
    PatternWallCase,
    WallBrowserCase,
    in_plain_thread,
)
from tests.personas import make_camera
from tests.relay_fleet.fleet import FleetTestCase, NodeProcess, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]


class RelayedWallTests(WallBrowserCase):
    """Live tiles through the relay fleet: devices push SRT to a relay node, the wall plays its HLS."""

    def setUp(self):
        super().setUp()
        # No relay for the street camera's made-up pull URL: only the wall's cameras run.
        Camera.objects.filter(pk=self.street_camera.pk).update(source=Camera.Source.NONE)
        self.oak = self.pushed_camera("Oak Ave & 2nd", lat=41.8803)
        self.pine = self.pushed_camera("Pine St & 3rd", lat=41.8796)
        self.elm = self.pushed_camera("Elm St & 4th", lat=41.8799)
        self.cameras = [self.oak, self.pine, self.elm, self.live_camera]
        node = NodeProcess(f"wall-browser-{os.getpid()}")
        self.addCleanup(node.stop)
        devices = [self.start_device(camera) for camera in self.cameras]

        def all_live():
            for device in devices:
                device.start()  # a device that gave up calls again, as an edge agent does
            statuses = set(
                Camera.objects.filter(pk__in=[c.pk for c in self.cameras]).values_list("status", flat=True)
            )
            return statuses == {Camera.Status.LIVE}

        wait_for(all_live, PLAYBACK_TIMEOUT_MS / 1000, "the relays never went live", interval=0.5)

    # The relay fleet's own simulated edge device, started and cleaned up the same way.
    start_device = FleetTestCase.start_device

    def pushed_camera(self, name, **place) -> Camera:
        """An agency camera behind the agency's own edge device."""
        return make_camera(self.riverside, name, source=Camera.Source.PUSH, **place)

    def test_live_wall_plays_docks_incidents_and_darkens_on_revocation(self):
        page = self.page
        self.sign_in_to_wall()
        page.keyboard.press("2")  # the second grid: 2x2
        page.wait_for_selector(".grid[data-grid='2']")
        for camera in self.cameras[:3]:
            page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        page.drag_and_drop(
            f"#camera-list li[data-camera-id='{self.live_camera.pk}']", ".tile[data-index='3']"
        )

        # The private camera asks for a purpose once; the agency's cameras do not.
        page.wait_for_selector("#purpose-dialog[open]")
        page.fill("#purpose-case", "RPD-2026-0042")
        page.fill("#purpose-reason", "Package theft on the block")
        page.click("#purpose-ok")

        self.wait_until_every_tile_advances(self.cameras)
        self.shot("2x2-live")

        self.post_incident(
            external_id="CAD-BROWSER-1",
            kind="Shots fired",
            lat=41.8804,
            lon=-87.6300,
            address="120 Main St",
            priority=1,
        )
        page.wait_for_selector(
            f".incident[data-incident-id] .docked li[data-camera-id='{self.live_camera.pk}']",
            timeout=PUSH_TIMEOUT_MS,
        )
        self.shot("incident")

        in_plain_thread(do_revoke_consent, self.resident, self.live_camera)
        page.wait_for_selector(f"{self.tile(self.live_camera)}[data-mode=dark]", timeout=PUSH_TIMEOUT_MS)
        self.assertIsNone(page.get_attribute(f"{self.tile(self.live_camera)} video", "src"))
        self.shot("revoked")
        # The other tiles keep playing.
        self.wait_until_every_tile_advances(self.cameras[:3])


class SnapshotWallTests(PatternWallCase):
    """Many cameras with pictures: snapshots beyond the players, the keyboard, stale players."""

    def test_sixty_four_tile_wall_shows_snapshots_beyond_sixteen_players(self):
        cameras = [
            self.camera_with_video(f"Grid camera {number:02d}", lat=41.87 + number * 0.0002)
            for number in range(64)
        ]
        Layout.objects.create(
            agency=self.riverside, name="Sixty-four", grid=8, tiles=[camera.pk for camera in cameras]
        )
        page = self.page
        self.sign_in_to_wall()
        page.wait_for_selector("#layout-select option:has-text('Sixty-four')", state="attached")
        page.select_option("#layout-select", label="Sixty-four (agency)")
        page.wait_for_selector(".grid[data-grid='8']")
        try:
            page.wait_for_function(
                """() => {
                    const tiles = [...document.querySelectorAll('.tile')];
                    return tiles.length === 64 && tiles.slice(16).every((tile) => {
                        const img = tile.querySelector('img.snapshot');
                        return tile.dataset.mode === 'snapshot' && img.complete && img.naturalWidth > 0;
                    });
                }""",
                timeout=PLAYBACK_TIMEOUT_MS,
            )
        except PlaywrightTimeout:
            self.shot("8x8-not-loaded")
            tiles = page.evaluate(
                """() => [...document.querySelectorAll('.tile')].map((tile) => [tile.dataset.index,
                    tile.dataset.mode, tile.querySelector('img.snapshot').naturalWidth])"""
            )
            self.fail(f"snapshots did not load: {tiles}")
        players = page.evaluate("window.rtccWall.tiles.filter((tile) => tile.player).length")
        self.assertLessEqual(players, 16)
        self.shot("8x8")

        # Keyboard: focus a snapshot tile, Enter plays it large, Esc returns it to a snapshot.
        page.click(".tile[data-index='40']")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.wait_for_selector(".tile.enlarged.playing[data-index='49']")
        self.shot("8x8-enlarged")
        page.keyboard.press("Escape")
        page.wait_for_selector(".tile[data-index='49'][data-mode=snapshot]:not(.enlarged)")

    def test_frozen_player_is_marked_stale_and_recovers_without_a_reload(self):
        folder = Path(settings.MEDIA_ROOT) / f"browser-frozen-{os.getpid()}"
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        pattern = start_test_pattern(folder, ARTIFACTS / "ffmpeg-frozen.log")
        self.addCleanup(stop, pattern)
        camera = self.camera_with_video("Frozen corner", folder)
        page = self.page
        self.sign_in_to_wall()
        page.keyboard.press("1")
        page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        self.wait_until_every_tile_advances([camera])
        self.record_latency(
            "ffmpeg testsrc2 -> HLS 1 s (program date-time from its start) -> media view -> hls.js"
        )

        stop(pattern)  # the stream stops; the relay's status does not say so yet
        page.wait_for_selector(f"{self.tile(camera)}[data-mode=stale]", timeout=15_000)
        self.shot("stale")

        pattern = start_test_pattern(folder, ARTIFACTS / "ffmpeg-frozen.log")
        self.addCleanup(stop, pattern)
        try:
            page.wait_for_selector(f"{self.tile(camera)}.playing[data-mode=live]")
        except PlaywrightTimeout:
            self.shot("stale-never-recovered")
            self.fail(f"the tile never played again: {self.tile_report()}")
        self.wait_until_every_tile_advances([camera])

"""The wall in a real Chromium against daphne on the test database.

`RelayedWallTests` plays live tiles from the real relay fleet: a relay node process and
simulated edge devices pushing SRT. `SnapshotWallTests` needs many cameras with pictures
but not a relay each: one ffmpeg writes a test pattern as a relay writes it
(cameras/relay/layout.py) and each camera's live folder links to it; the media endpoints
serve it with all their usual checks.
"""

import json
import os
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cameras.models import Camera
from cameras.relay.layout import live_dir
from cameras.services import do_revoke_consent
from cameras.wall.models import Layout
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, NO_CHROMIUM  # noqa: E402
from tests.browser.processes import start_daphne, start_test_pattern, stop
from tests.personas import PASSWORD, make_camera
from tests.relay_fleet.fleet import FleetTestCase, NodeProcess, wait_for
from tests.wall.fixtures import WallPersonas, give_pull_source

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402 -- only with Chromium
from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

# Generous: two loaded cores start Chromium, daphne, a relay node and ffmpeg at once.
PLAYBACK_TIMEOUT_MS = int(os.environ.get("RTCC_BROWSER_TIMEOUT_MS", 90_000))
PUSH_TIMEOUT_MS = 2_000


def in_plain_thread(function, *args):
    """Run `function` where no event loop runs: Playwright keeps one in the test's thread,
    and sending to the channel layer from there is refused."""

    def call():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result(timeout=60)


class WallBrowserCase(WallPersonas):
    """One Chromium for the class; daphne and a fresh browser context for each test.

    Daphne is per test because the database is flushed between tests: a request still
    in flight from the previous test (an audit line being written) would deadlock with
    PostgreSQL's TRUNCATE.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Playwright's sync API keeps an event loop in this thread; the ORM calls made
        # between page actions are plain blocking calls all the same.
        cls._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        ARTIFACTS.mkdir(exist_ok=True)
        cls.processes = []
        cls.playwright = None
        try:
            cls.start_class_processes()
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Exception:
            cls._stop_all()
            raise

    @classmethod
    def start_class_processes(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        cls._stop_all()
        super().tearDownClass()

    @classmethod
    def _stop_all(cls):
        try:
            if cls.playwright is not None:
                cls.browser.close()
                cls.playwright.stop()
        finally:
            for process in cls.processes:
                stop(process)
            if cls._async_unsafe is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls._async_unsafe

    def setUp(self):
        super().setUp()
        daphne, self.base = start_daphne(ARTIFACTS / f"daphne-{self._testMethodName}.log")
        self.addCleanup(stop, daphne)
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 900})
        self.addCleanup(self.context.close)
        self.page = self.context.new_page()
        self.page.set_default_timeout(PLAYBACK_TIMEOUT_MS)

    def sign_in_to_wall(self):
        page = self.page
        page.goto(f"{self.base}/wall/")
        self.assertIn("/accounts/login/", page.url)
        page.fill("#id_username", self.dispatcher.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base}/wall/")
        page.wait_for_selector("#conn[data-state=live]")

    def tile(self, camera) -> str:
        return f".tile[data-camera-id='{camera.pk}']"

    def shot(self, name):
        self.page.screenshot(path=str(ARTIFACTS / f"wall-{name}.png"))

    def post_incident(self, **call) -> dict:
        token, _ = Token.objects.get_or_create(user=self.cad)
        request = Request(
            f"{self.base}/api/v1/incidents/",
            data=json.dumps(call).encode(),
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
            method="POST",
        )
        with urlopen(request, timeout=30) as response:  # noqa: S310 -- our own server
            self.assertEqual(response.status, 201)
            return json.load(response)

    def video_times(self) -> dict:
        return self.page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('.tile[data-mode=live]')].map(
                (tile) => [tile.dataset.cameraId, tile.querySelector('video').currentTime]))"""
        )

    def record_latency(self, path: str):
        """Sample Date.now() - hls.playingDate on the playing tiles for the benchmark notes."""
        samples = []
        for _ in range(40):
            samples.extend(
                entry["playingDateLag"] for entry in self.page.evaluate("window.rtccWall.latency()")
            )
            self.page.wait_for_timeout(250)
        if samples:
            samples.sort()
            summary = {
                "method": "Date.now() - hls.playingDate",
                "path": path,
                "samples": len(samples),
                "median_s": round(statistics.median(samples), 2),
                "p95_s": round(samples[int(0.95 * (len(samples) - 1))], 2),
            }
            (ARTIFACTS / "wall-latency.json").write_text(json.dumps(summary, indent=2))

    def tile_report(self) -> list:
        return self.page.evaluate(
            """() => window.rtccWall.tiles.map((tile) => ({
                camera: tile.cameraId, mode: tile.el.dataset.mode, classes: tile.el.className,
                badge: tile.el.querySelector('.badge').textContent, hls: Boolean(tile.hls),
                retries: tile.retries, error: tile.error,
                time: tile.el.querySelector('video').currentTime,
                lag: tile.hls && tile.hls.playingDate ? Date.now() - tile.hls.playingDate.getTime() : null}))"""
        )

    def wait_until_every_tile_advances(self, cameras):
        ids = {str(camera.pk) for camera in cameras}
        deadline = time.monotonic() + PLAYBACK_TIMEOUT_MS / 1000
        first = {}
        while time.monotonic() < deadline:
            times = self.video_times()
            for camera_id, current in times.items():
                if current > 0 and camera_id not in first:
                    first[camera_id] = current
            advanced = {cid for cid in ids if cid in times and cid in first and times[cid] > first[cid] + 1.0}
            if advanced == ids:
                return
            self.page.wait_for_timeout(250)
        self.shot("not-playing")
        self.fail(f"video did not advance on every tile: first {first}, now {self.video_times()}")


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


class SnapshotWallTests(WallBrowserCase):
    """Many cameras with pictures, from one test pattern linked into each camera's live folder."""

    @classmethod
    def start_class_processes(cls):
        cls.pattern_dir = Path(settings.MEDIA_ROOT) / f"browser-pattern-{os.getpid()}"
        cls.processes.append(start_test_pattern(cls.pattern_dir, ARTIFACTS / "ffmpeg.log"))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.pattern_dir, ignore_errors=True)

    def camera_with_video(self, name, folder=None, **place) -> Camera:
        camera = make_camera(self.riverside, name, **place)
        give_pull_source(camera)
        self.link_video(camera, folder or self.pattern_dir)
        return camera

    def link_video(self, camera, folder: Path) -> None:
        live = live_dir(camera.pk)
        live.parent.mkdir(parents=True, exist_ok=True)
        if live.is_symlink():
            live.unlink()
        elif live.exists():
            shutil.rmtree(live)
        live.symlink_to(folder, target_is_directory=True)
        self.addCleanup(live.unlink, missing_ok=True)
        Camera.objects.filter(pk=camera.pk).update(
            status=Camera.Status.LIVE, last_frame_at=timezone.now(), snapshot_version=1
        )

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
        players = page.evaluate("window.rtccWall.tiles.filter((tile) => tile.hls).length")
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

"""The wall in a real Chromium: sign in, live tiles, incidents, revocation, a 64-tile wall.

Video comes from one ffmpeg test pattern written as a relay writes it (cameras/relay/layout.py);
each camera's live folder links to it, and the media endpoints serve it with their usual checks.
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
from tests.browser.processes import start_daphne, start_test_pattern, stop
from tests.personas import PASSWORD, make_camera
from tests.wall.fixtures import WallPersonas, give_pull_source

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium", allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402 -- only with Chromium
from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
# Generous: two loaded cores start Chromium, daphne and ffmpeg at once.
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


class BrowserWallTests(WallPersonas):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Playwright's sync API keeps an event loop in this thread; the ORM calls made
        # between page actions are plain blocking calls all the same.
        cls._async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        ARTIFACTS.mkdir(exist_ok=True)
        cls.pattern_dir = Path(settings.MEDIA_ROOT) / f"browser-pattern-{os.getpid()}"
        cls.processes = []
        cls.playwright = None
        try:
            daphne, cls.base = start_daphne(ARTIFACTS / "daphne.log")
            cls.processes.append(daphne)
            cls.processes.append(start_test_pattern(cls.pattern_dir, ARTIFACTS / "ffmpeg.log"))
            cls.playwright = sync_playwright().start()
            cls.browser = cls.playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Exception:
            cls._stop_all()
            raise

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
            shutil.rmtree(cls.pattern_dir, ignore_errors=True)
            if cls._async_unsafe is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls._async_unsafe

    def setUp(self):
        super().setUp()
        self.linked = []
        self.oak = self.camera_with_video("Oak Ave & 2nd", lat=41.8803)
        self.pine = self.camera_with_video("Pine St & 3rd", lat=41.8796)
        self.give_video(self.street_camera)
        self.give_video(self.live_camera)
        self.context = self.browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(PLAYBACK_TIMEOUT_MS)

    def tearDown(self):
        self.context.close()
        for folder in self.linked:
            if folder.is_symlink():
                folder.unlink()
        super().tearDown()

    def camera_with_video(self, name, **place) -> Camera:
        camera = make_camera(self.riverside, name, **place)
        give_pull_source(camera)
        self.give_video(camera)
        return camera

    def give_video(self, camera) -> None:
        folder = live_dir(camera.pk)
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.is_symlink():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        folder.symlink_to(self.pattern_dir, target_is_directory=True)
        self.linked.append(folder)
        Camera.objects.filter(pk=camera.pk).update(
            status=Camera.Status.LIVE, last_frame_at=timezone.now(), snapshot_version=1
        )

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

    def test_live_wall_plays_docks_incidents_and_darkens_on_revocation(self):
        page = self.page
        self.sign_in_to_wall()
        page.keyboard.press("2")  # the second grid: 2x2
        page.wait_for_selector(".grid[data-grid='2']")
        cameras = [self.street_camera, self.oak, self.pine, self.live_camera]
        for camera in cameras[:3]:
            page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        page.drag_and_drop(
            f"#camera-list li[data-camera-id='{self.live_camera.pk}']", ".tile[data-index='3']"
        )

        # The private camera asks for a purpose once; the agency's cameras do not.
        page.wait_for_selector("#purpose-dialog[open]")
        page.fill("#purpose-case", "RPD-2026-0042")
        page.fill("#purpose-reason", "Package theft on the block")
        page.click("#purpose-ok")

        self.wait_until_every_tile_advances(cameras)
        self.shot("2x2-live")
        self.record_latency()

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
        self.assertEqual(page.get_attribute(f"{self.tile(self.live_camera)} video", "src"), None)
        self.shot("revoked")
        # The other tiles keep playing.
        self.wait_until_every_tile_advances(cameras[:3])

    def record_latency(self):
        """Sample Date.now() - hls.playingDate on the playing tiles for the benchmark notes."""
        samples = []
        for _ in range(20):
            samples.extend(
                entry["playingDateLag"] for entry in self.page.evaluate("window.rtccWall.latency()")
            )
            self.page.wait_for_timeout(500)
        if samples:
            samples.sort()
            summary = {
                "method": "Date.now() - hls.playingDate (EXT-X-PROGRAM-DATE-TIME from ffmpeg)",
                "samples": len(samples),
                "median_s": round(statistics.median(samples), 2),
                "p95_s": round(samples[int(0.95 * (len(samples) - 1))], 2),
            }
            (ARTIFACTS / "wall-latency.json").write_text(json.dumps(summary, indent=2))

    def test_sixty_four_tile_wall_shows_snapshots_beyond_sixteen_players(self):
        cameras = [self.street_camera, self.oak, self.pine]
        cameras += [
            self.camera_with_video(f"Grid camera {number:02d}", lat=41.87 + number * 0.0002)
            for number in range(61)
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
                    tile.dataset.mode, tile.querySelector('img.snapshot').naturalWidth,
                    tile.querySelector('img.snapshot').getAttribute('src')])"""
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
        enlarged = ".tile.enlarged[data-index='49']"
        page.wait_for_selector(f"{enlarged}.playing")
        self.shot("8x8-enlarged")
        page.keyboard.press("Escape")
        page.wait_for_selector(".tile[data-index='49'][data-mode=snapshot]:not(.enlarged)")

"""What the wall's browser tests share: Chromium, daphne per test, and cameras with pictures.

`WallBrowserCase` signs a dispatcher in to the wall in a real Chromium against daphne on
the test database. `PatternWallCase` gives many cameras pictures without a relay each:
one ffmpeg writes a test pattern as a relay writes it (cameras/relay/layout.py) and each
camera's live folder links to it; the media endpoints serve it with all their usual checks.
"""

import json
import os
import shutil
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import Request, urlopen

from django.conf import settings
from django.db import connection
from django.utils import timezone
from playwright.sync_api import sync_playwright
from rest_framework.authtoken.models import Token

from cameras.models import Camera
from cameras.relay.layout import live_dir
from tests.browser.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, keep_to_loopback
from tests.browser.processes import start_daphne, start_test_pattern, stop
from tests.personas import PASSWORD, make_camera, totp_code
from tests.wall.fixtures import WallPersonas, give_pull_source

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

    daphne_env: dict[str, str] = {}  # settings for the server, for a class that needs others

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
        daphne, self.base = start_daphne(ARTIFACTS / f"daphne-{self._testMethodName}.log", self.daphne_env)
        self.addCleanup(stop, daphne)
        self.context = keep_to_loopback(self.browser.new_context(viewport={"width": 1400, "height": 900}))
        self.addCleanup(self.context.close)
        self.page = self.context.new_page()
        self.page.set_default_timeout(PLAYBACK_TIMEOUT_MS)

    def sign_in_to_wall(self):
        page = self.page
        page.goto(f"{self.base}/wall/")
        self.assertIn("/accounts/login/", page.url)
        page.fill("#id_username", self.dispatcher.username)
        page.fill("#id_password", PASSWORD)
        page.fill("#id_otp_token", totp_code(self.dispatcher))
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
                badge: tile.el.querySelector('.badge').textContent, player: Boolean(tile.player),
                retries: tile.retries, error: tile.error,
                time: tile.el.querySelector('video').currentTime,
                lag: tile.player && tile.player.playingDate ? Date.now() - tile.player.playingDate.getTime() : null}))"""
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


class PatternWallCase(WallBrowserCase):
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

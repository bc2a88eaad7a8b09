"""A tile's life in a real Chromium: nothing outlives it, and its live link renews in place."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from agencies.models import AccessEvent
from cameras.wall.models import Layout
from tests.browser.wall import PatternWallCase

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

LINK_SECONDS = 10  # the shortest lifetime settings allow for a signed live link
WATCH_MS = 3_000  # a live HLS player asks for its playlist about every second
OPEN_LIVE = re.compile(r"/api/v1/cameras/\d+/live/$")
MEDIA = re.compile(r"/media/(?:live/(\d+)/|snapshot/(\d+)\.jpg)")


def media_camera(url: str) -> int | None:
    """The camera a playlist, segment or snapshot request is for; None for any other request."""
    match = MEDIA.match(urlsplit(url).path)
    return int(match.group(1) or match.group(2)) if match else None


class TileLifecycleTests(PatternWallCase):
    daphne_env = {"RTCC_MEDIA_URL_SECONDS": str(LINK_SECONDS)}

    def setUp(self):
        super().setUp()
        self.media = []  # (camera id, method, url) of every media request the page makes
        self.page.on(
            "request",
            lambda request: self.media.append((media_camera(request.url), request.method, request.url))
            if media_camera(request.url)
            else None,
        )

    def media_cameras_while_watching(self) -> set:
        self.media.clear()
        self.page.wait_for_timeout(WATCH_MS)
        return {camera_id for camera_id, _, _ in self.media}

    def wait_for_held(self, held, count):
        for _ in range(300):
            if len(held) >= count:
                return
            self.page.wait_for_timeout(100)
        self.fail(f"{len(held)} requests for a live view were made, not {count}")

    def test_a_camera_on_no_tile_gets_no_media_request_after_grid_changes(self):
        cameras = [self.camera_with_video(f"Corner {n}", lat=41.87 + n * 0.0002) for n in range(9)]
        ids = [camera.pk for camera in cameras]
        Layout.objects.create(agency=self.riverside, name="Nine", grid=3, tiles=ids)
        page = self.page
        self.sign_in_to_wall()

        # The live views' answers are held until the grid has changed under them: a tile
        # taken off the wall must not start a player when its answer arrives after all.
        held = []

        def hold(route):
            if route.request.method == "POST":
                held.append(route)
            else:
                route.continue_()

        page.route(OPEN_LIVE, hold)
        page.wait_for_selector("#layout-select option:has-text('Nine')", state="attached")
        page.select_option("#layout-select", label="Nine (agency)")
        self.wait_for_held(held, 9)
        page.click(".grid-button[data-grid='2']")  # 2x2: the first four stay, five leave the wall
        self.wait_for_held(held, 13)
        page.unroute(OPEN_LIVE)
        for route in held:
            try:
                route.continue_()
            except PlaywrightError:
                pass  # the page gave up that request itself
        self.wait_until_every_tile_advances(cameras[:4])
        seen = self.media_cameras_while_watching()
        self.assertEqual(seen, set(ids[:4]), "media requested for cameras on no tile")

        page.click(".grid-button[data-grid='1']")  # three playing tiles leave the wall
        self.assertEqual(self.media_cameras_while_watching(), {ids[0]})

        page.select_option("#layout-select", label="Nine (agency)")  # and all nine come back
        self.wait_until_every_tile_advances(cameras)
        page.click(".grid-button[data-grid='1']")
        self.assertEqual(self.media_cameras_while_watching(), {ids[0]})

    def test_a_playing_tile_renews_its_link_without_opening_a_new_view(self):
        camera = self.camera_with_video("Renewed corner")
        page = self.page
        live_requests = []
        page.on(
            "request",
            lambda request: live_requests.append((request.method, urlsplit(request.url).path))
            if "/live/" in request.url and "/api/" in request.url
            else None,
        )
        refused = []
        page.on("response", lambda response: refused.append(response.url) if response.status >= 400 else None)
        self.sign_in_to_wall()
        page.click(".grid-button[data-grid='1']")
        page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        self.wait_until_every_tile_advances([camera])

        # Past the first link's lifetime and a renewal more (each comes half-way through a link's
        # life), the same player plays on.
        page.wait_for_timeout(LINK_SECONDS * 1.5 * 1000)
        self.wait_until_every_tile_advances([camera])
        opened = [path for method, path in live_requests if not path.endswith("/renew/")]
        renewed = [path for method, path in live_requests if path.endswith("/renew/")]
        self.assertEqual(opened, [f"/api/v1/cameras/{camera.pk}/live/"])
        self.assertGreaterEqual(len(renewed), 2)
        self.assertEqual(refused, [])
        tokens = {urlsplit(url).path.split("/")[4] for _, _, url in self.media if "/media/live/" in url}
        self.assertGreater(len(tokens), 2, "segments were not fetched with the renewed links")
        self.assertEqual(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.VIEW_START, target_id=str(camera.pk)
            ).count(),
            1,
        )

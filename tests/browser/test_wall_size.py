"""Walls of any size in a real Chromium: type and panel that grow with the screen, the panel
collapsed and remembered, the map on a tile and on the whole screen, pushes that expire and
can be left, and the plain basemap drawn when no tile server answers.

Every context keeps to loopback (`keep_to_loopback`): the tile server is refused, which is the
offline case the basemap is for.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from cameras.wall.models import WallPush
from cameras.wall.services import do_push_layout, do_save_layout
from tests.browser.wall import WallBrowserCase, in_plain_thread

pytestmark = [pytest.mark.browser]

READ_STYLE = """(selector) => {
    const element = document.querySelector(selector);
    return parseFloat(getComputedStyle(element).fontSize);
}"""


class WallSizeTests(WallBrowserCase):
    def box(self, selector) -> dict:
        box = self.page.locator(selector).bounding_box()
        self.assertIsNotNone(box, selector)
        return box

    def wall_state(self) -> dict:
        return self.page.evaluate("({grid: rtccWall.state.grid, tiles: rtccWall.state.tiles})")

    def push(self, name, grid, tiles, minutes):
        def push():
            layout = do_save_layout(self.supervisor, name=name, grid=grid, tiles=tiles, shared=True)
            return do_push_layout(self.supervisor, layout, minutes=minutes)

        return in_plain_thread(push)

    def test_type_and_side_panel_grow_with_a_4k_screen(self):
        page = self.page
        page.set_viewport_size({"width": 1920, "height": 1080})
        self.sign_in_to_wall()
        page.click(f"#camera-list li[data-camera-id='{self.street_camera.pk}']")
        label = f"{self.tile(self.street_camera)} .tile-bar .name"
        page.wait_for_selector(label)
        hd_label = page.evaluate(READ_STYLE, label)
        hd_side = self.box("#wall-side")["width"]
        self.shot("size-1080p")

        page.set_viewport_size({"width": 3840, "height": 2160})
        page.wait_for_function("document.documentElement.clientWidth === 3840")
        uhd_label = page.evaluate(READ_STYLE, label)
        uhd_side = self.box("#wall-side")["width"]
        self.shot("size-4k")
        self.assertGreaterEqual(uhd_label, 14, "a tile's label at 4K")
        self.assertGreater(uhd_label, hd_label * 1.3)
        for selector in ("#camera-list li", ".tile-bar .badge", "#camera-search-hint"):
            self.assertGreaterEqual(page.evaluate(READ_STYLE, selector), 14, selector)
        # The panel is a share of the width, not a fixed 300 px.
        self.assertGreater(uhd_side, hd_side * 1.6)
        self.assertTrue(0.12 * 3840 < uhd_side < 0.25 * 3840, uhd_side)
        self.assertTrue(0.12 * 1920 < hd_side < 0.25 * 1920, hd_side)
        # And the map keeps its share of the panel's height.
        self.assertGreater(self.box("#map")["height"], 0.25 * 2160)

    def test_side_panel_collapses_by_button_and_key_and_stays_so_over_a_reload(self):
        page = self.page
        self.sign_in_to_wall()
        grid_width = self.box("#grid")["width"]
        page.click("#side-toggle")
        page.wait_for_selector("#wall-side", state="hidden")
        self.assertEqual(page.get_attribute("#side-toggle", "aria-expanded"), "false")
        self.assertGreater(self.box("#grid")["width"], grid_width + 200)

        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        self.assertFalse(page.is_visible("#wall-side"))
        self.assertEqual(page.text_content("#side-toggle"), "Show panel")

        page.locator("body").press("s")
        page.wait_for_selector("#wall-side", state="visible")
        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        self.assertTrue(page.is_visible("#wall-side"))

    def test_map_fills_the_selected_tile_or_the_screen(self):
        page = self.page
        self.sign_in_to_wall()
        page.click(".tile >> nth=3")
        page.keyboard.press("t")
        page.wait_for_selector("#wall[data-map=tile] #grid #map-frame")
        tile, frame = self.box(".tile >> nth=3"), self.box("#map-frame")
        for side in ("x", "y", "width", "height"):
            self.assertAlmostEqual(frame[side], tile[side], delta=3, msg=side)
        # Leaflet follows its new container: its panes fill the tile.
        page.wait_for_function(
            "() => Math.abs(document.querySelector('#map').clientWidth"
            " - document.querySelector('.leaflet-tile-pane').closest('.leaflet-container').clientWidth) < 1"
        )
        self.assertEqual(page.evaluate("rtccWall.state.mapTile"), 3)

        page.keyboard.press("3")
        page.wait_for_selector(".grid[data-grid='3']")
        tile, frame = self.box(".tile >> nth=3"), self.box("#map-frame")
        self.assertAlmostEqual(frame["x"], tile["x"], delta=3)
        self.assertAlmostEqual(frame["y"], tile["y"], delta=3)

        page.click("#map-screen")
        page.wait_for_selector("#wall[data-map=screen]")
        frame = self.box("#map-frame")
        self.assertEqual((frame["x"], frame["y"], frame["width"], frame["height"]), (0, 0, 1400, 900))
        page.reload()
        page.wait_for_selector("#wall[data-map=screen]")
        page.keyboard.press("Escape")
        page.wait_for_selector("#wall[data-map=side] #wall-side #map-frame")
        self.assertIsNone(page.evaluate("rtccWall.state.mapTile"))

    def test_a_push_holds_until_it_expires_and_a_wall_may_leave_it(self):
        page = self.page
        self.sign_in_to_wall()
        page.click(f"#camera-list li[data-camera-id='{self.street_camera.pk}']")
        own = self.wall_state()
        self.assertEqual(own["grid"], 2)

        push = self.push("Parade route", 3, [None, None, None, None, self.street_camera.pk], minutes=60)
        page.wait_for_selector(".grid[data-grid='3']")
        self.assertEqual(self.wall_state()["tiles"][4], self.street_camera.pk)
        bar = page.text_content("#pushed-now")
        self.assertIn("“Parade route”", bar)
        self.assertIn("sue-supervisor", bar)
        self.assertIn("until", bar)
        self.assertAlmostEqual(
            push.expires_at - push.pushed_at, timedelta(minutes=60), delta=timedelta(seconds=1)
        )

        # Leaving the push brings back the wall this workstation had, and a reload keeps it.
        page.click("#pushed-leave")
        page.wait_for_selector("#pushed-bar", state="hidden")
        self.assertEqual(self.wall_state(), own)
        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        self.assertEqual(self.wall_state(), own)
        self.assertFalse(page.is_visible("#pushed-bar"))

        # A fresh workstation (nothing kept in the browser) gets the push while it holds...
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_selector(".grid[data-grid='3']")
        page.wait_for_selector("#pushed-bar", state="visible")
        page.click("#pushed-keep")
        page.wait_for_selector("#pushed-bar", state="hidden")
        self.assertEqual(self.wall_state()["grid"], 3)

        # ...and never once it has expired.
        past = timezone.now() - timedelta(hours=1)
        WallPush.objects.filter(pk=push.pk).update(pushed_at=past - timedelta(hours=12), expires_at=past)
        page.evaluate("localStorage.clear()")
        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        page.wait_for_timeout(1_000)
        self.assertEqual(self.wall_state()["grid"], 2)
        self.assertFalse(page.is_visible("#pushed-bar"))

    def test_a_supervisor_pushes_from_the_wall_under_a_name_for_hours_chosen(self):
        page = self.page
        self.dispatcher = self.supervisor  # sign_in_to_wall signs in self.dispatcher
        self.sign_in_to_wall()
        page.click(f"#camera-list li[data-camera-id='{self.street_camera.pk}']")
        page.fill("#layout-name", "Night shift")
        page.select_option("#layout-push-hours", "240")
        page.click("#layout-push")
        page.wait_for_selector("#layout-status:has-text('Pushed')")
        push = WallPush.objects.get()
        self.assertEqual((push.name, push.expires_at - push.pushed_at), ("Night shift", timedelta(hours=4)))
        self.assertEqual(push.tiles[0], self.street_camera.pk)
        page.wait_for_selector("#pushed-bar", state="visible")
        self.assertIn("“Night shift”", page.text_content("#pushed-now"))

    def test_with_no_tile_server_the_map_draws_a_plain_grid(self):
        page = self.page
        self.sign_in_to_wall()
        page.wait_for_selector(".offline-basemap svg.offline-tile")
        page.wait_for_selector(".map-offline")
        labels = page.locator(".offline-basemap .offline-label").all_text_contents()
        self.assertTrue(labels)
        self.assertTrue(all("°" in label for label in labels), labels[:5])
        # Lines of both directions are drawn where the map shows, on a ground that is not black.
        shown = page.evaluate(
            """() => {
                const map = document.querySelector('#map').getBoundingClientRect();
                const inside = (r) => r.right > map.left && r.left < map.right && r.bottom > map.top && r.top < map.bottom;
                const lines = [...document.querySelectorAll('.offline-basemap line.offline-line')]
                    .map((line) => line.getBoundingClientRect()).filter(inside);
                return {across: lines.filter((r) => r.width > r.height).length,
                        down: lines.filter((r) => r.height > r.width).length};
            }"""
        )
        self.assertGreater(shown["across"], 0, shown)
        self.assertGreater(shown["down"], 0, shown)
        ground = page.evaluate(
            "getComputedStyle(document.querySelector('.offline-basemap .offline-ground')).fill"
        )
        self.assertNotIn(ground, ("rgb(0, 0, 0)", "none"))
        self.assertTrue(page.is_visible(f".camera-marker[data-camera-id='{self.street_camera.pk}']"))
        self.shot("offline-map")

"""A wall over an agency of hundreds of cameras holds only what it shows: its tiles and the map's viewport.

The cameras are bulk-created spread over some 30 km around the agency's centre, with a
crowd at one street corner in view (a cluster on the map), a group a few kilometres east
(out of view until the map is panned there) and one far away that only the search finds.
"""

import pytest

from cameras.access import cameras_visible_to
from cameras.models import Camera
from rtcc.geo import haversine_m
from tests.browser.wall import WallBrowserCase

pytestmark = [pytest.mark.browser]

SPREAD = 17  # a 17 x 17 grid of cameras, 0.03 degrees apart
EAST = 0.025  # degrees of longitude east of the centre: out of the first view


def bulk_cameras(agency, names_and_places) -> list[int]:
    cameras = [
        Camera(agency=agency, name=name, kind=Camera.Kind.PUBLIC, source=Camera.Source.NONE, lat=lat, lon=lon)
        for name, lat, lon in names_and_places
    ]
    Camera.objects.bulk_create(cameras)
    return list(
        Camera.objects.filter(name__in=[name for name, _, _ in names_and_places]).values_list("pk", flat=True)
    )


class SubscribedWallBrowserTests(WallBrowserCase):
    def setUp(self):
        super().setUp()
        lat, lon = self.riverside.lat, self.riverside.lon
        grid = [
            (
                f"Grid {row}-{col}",
                lat + (row - SPREAD // 2) * 0.03 + 0.011,
                lon + (col - SPREAD // 2) * 0.03 + 0.013,
            )
            for row in range(SPREAD)
            for col in range(SPREAD)
        ]
        crowd = [(f"Corner crowd {n}", lat + 0.001 + n * 0.000005, lon - 0.001) for n in range(80)]
        east = [(f"East side {n}", lat + n * 0.0004, lon + EAST) for n in range(3)]
        bulk_cameras(self.riverside, grid + crowd)
        self.east = bulk_cameras(self.riverside, east)
        self.far = bulk_cameras(self.riverside, [("Harbour gate", lat + 0.2, lon - 0.2)])[0]
        self.total = cameras_visible_to(self.dispatcher).count()

    def known(self) -> set[int]:
        return set(self.page.evaluate("[...window.rtccWall.state.cameras.keys()]"))

    def viewport(self) -> dict:
        return self.page.evaluate("window.rtccWall.viewport()")

    def assert_holds_only_the_view(self):
        view = self.viewport()
        south, west, north, east = view["bbox"]
        cameras = self.page.evaluate("[...window.rtccWall.state.cameras.values()]")
        tiles = set(self.page.evaluate("window.rtccWall.state.tiles.filter(Boolean)"))
        self.assertLess(len(cameras), self.total / 3, "the wall holds a fraction of the agency's cameras")
        for camera in cameras:
            in_view = south <= camera["lat"] <= north and west <= camera["lon"] <= east
            self.assertTrue(in_view or camera["id"] in tiles, camera["name"])

    def test_the_wall_holds_the_view_follows_the_map_and_searches_the_rest(self):
        page = self.page
        self.sign_in_to_wall()
        self.assertGreater(self.total, 300)
        # The crowd at the corner is drawn as clusters with their counts, not a marker per camera.
        page.wait_for_selector(".cluster-marker")
        counts = page.eval_on_selector_all(
            ".cluster-marker", "(markers) => markers.map((m) => [Number(m.dataset.count), m.textContent])"
        )
        self.assertGreaterEqual(sum(count for count, _ in counts), 80)
        self.assertTrue(all(text == str(count) for count, text in counts), counts)
        self.assertLess(page.locator(".camera-marker").count(), 20)
        self.assert_holds_only_the_view()
        self.assertFalse(set(self.east) & self.known())
        self.shot("subscribe-first-view")

        # Panning east: once the map settles the wall asks for the new view and draws it.
        box = page.locator("#map").bounding_box()
        middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for _ in range(8):
            if page.locator(f".camera-marker[data-camera-id='{self.east[0]}']").count():
                break
            page.mouse.move(middle_x + 60, middle_y)
            page.mouse.down()
            page.mouse.move(middle_x - 60, middle_y, steps=8)
            page.wait_for_timeout(150)  # held still before letting go: no inertia carries the map on
            page.mouse.up()
            page.wait_for_timeout(600)
        page.wait_for_selector(f".camera-marker[data-camera-id='{self.east[0]}']")
        self.assertTrue(set(self.east) <= self.known())
        self.assertNotIn(self.crowd_sample(), self.known())
        self.assert_holds_only_the_view()
        self.shot("subscribe-panned-east")

        # The list searches the server: a camera far outside the view is found and put on a tile.
        self.assertNotIn(self.far, self.known())
        page.fill("#camera-search", "harbour")
        item = f"#camera-list li[data-camera-id='{self.far}']"
        page.wait_for_selector(item)
        self.assertEqual(page.locator("#camera-list li").count(), 1)
        self.assertEqual(page.text_content("#camera-count"), "1 match")
        page.click(item)
        page.wait_for_function(f"() => window.rtccWall.state.cameras.has({self.far})")
        self.assertEqual(page.evaluate("window.rtccWall.state.tiles[0]"), self.far)
        page.wait_for_selector(f"{self.tile_of(self.far)} .name")
        self.assertEqual(page.text_content(f"{self.tile_of(self.far)} .name"), "Harbour gate")
        self.assert_holds_only_the_view()

        # A search with no answer says so in words.
        page.fill("#camera-search", "no such camera")
        page.wait_for_selector("#camera-empty:not([hidden])")
        self.assertEqual(
            page.text_content("#camera-empty"), "No camera you may see matches “no such camera”."
        )
        self.assertEqual(page.locator("#camera-list li").count(), 0)
        self.shot("subscribe-search")

    def test_the_list_pages_nearest_the_map_centre_first(self):
        page = self.page
        self.sign_in_to_wall()
        page.wait_for_selector("#camera-list li")
        self.assertEqual(page.locator("#camera-list li").count(), 50)
        self.assertEqual(page.text_content("#camera-count"), f"{self.total} cameras")
        listed = page.eval_on_selector_all(
            "#camera-list li", "(items) => items.map((i) => Number(i.dataset.cameraId))"
        )
        # The nearest fifty: the crowd, the personas' cameras and the east side, all within 4 km.
        for camera in Camera.objects.filter(pk__in=listed):
            self.assertLess(
                haversine_m(self.riverside.lat, self.riverside.lon, camera.lat, camera.lon), 4000, camera.name
            )
        self.assertNotIn(self.far, listed)
        page.click("#camera-more")
        page.wait_for_function("() => document.querySelectorAll('#camera-list li').length === 100")

    def test_the_keyboard_stays_in_the_list_when_the_map_moves_it(self):
        page = self.page
        self.sign_in_to_wall()
        page.wait_for_selector("#camera-list li")
        page.focus("#camera-search")
        for _ in range(3):  # down the list to its third item
            page.keyboard.press("ArrowDown")
        focused = page.evaluate("document.activeElement.dataset.cameraId")
        self.assertIsNotNone(focused)
        listed = page.eval_on_selector_all(
            "#camera-list li", "(items) => items.map((i) => i.dataset.cameraId)"
        )
        # An incident shown elsewhere moves the map; the list is searched again around it.
        page.evaluate(
            """async ([lat, lon]) => {
              const main = document.querySelector('script[type=module][src*="wall/main.js"]').src;
              (await import(new URL('map.js', main).href)).centreOn(lat, lon);
            }""",
            [self.riverside.lat + 0.09, self.riverside.lon + 0.09],
        )
        page.wait_for_function(
            "(before) => document.querySelector('#camera-list li').dataset.cameraId !== before", arg=listed[0]
        )
        still = page.evaluate("document.activeElement.closest('#camera-list') !== null")
        self.assertTrue(still, page.evaluate("document.activeElement.outerHTML.slice(0, 80)"))
        page.keyboard.press("ArrowDown")  # and it goes on along the list
        self.assertEqual(page.evaluate("document.activeElement.tagName"), "LI")

    def crowd_sample(self) -> int:
        return Camera.objects.get(name="Corner crowd 0").pk

    def tile_of(self, camera_id: int) -> str:
        return f".tile[data-camera-id='{camera_id}']"

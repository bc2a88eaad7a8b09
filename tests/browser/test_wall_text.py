"""Text is data on the wall: names and incidents typed as markup show as text and run nothing.

A resident names a camera, a CAD system names an incident, a supervisor names a layout;
a dispatcher's wall lists them, docks them, shows them on tiles and hovers them on the map
(Leaflet writes a string tooltip as innerHTML). Each payload would set `window.__pwned`.
"""

import pytest

from cameras.models import Camera
from cameras.wall.models import Layout
from cameras.wall.services import do_push_layout
from tests.browser.hostile_text import PAYLOADS as HOSTILE_PAYLOADS
from tests.browser.wall import PatternWallCase, in_plain_thread
from tests.personas import RIVERSIDE_CENTRE

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

# Six, one for each spot of RING: all but the quote-breaking one.
PAYLOADS = [payload for payload in HOSTILE_PAYLOADS if payload != "'-alert(1)-'"]
# Around the incident, 250 m out: within its docking radius, apart on the map at zoom 14.
RING = [
    (0.00225, 0),
    (0.0011, 0.0026),
    (-0.0011, 0.0026),
    (-0.00225, 0),
    (-0.0011, -0.0026),
    (0.0011, -0.0026),
]

NOTHING_RAN = """() => ({
    pwned: typeof window.__pwned,
    injected: document.querySelectorAll('img[src="x"], svg[onload], iframe, [onerror], [onload]').length,
    scripts: [...document.scripts].filter((script) => script.textContent.includes('__pwned')).length,
})"""


class StoredTextTests(PatternWallCase):
    def setUp(self):
        super().setUp()
        lat, lon = RIVERSIDE_CENTRE
        # The personas' other cameras stay off the ring, so each marker is hovered alone.
        Camera.objects.filter(pk__in=[self.street_camera.pk, self.registry_camera.pk]).update(lat=lat + 0.01)
        spots = [(lat + north, lon + east) for north, east in RING]
        self.cameras = [
            self.camera_with_video(name, lat=spot[0], lon=spot[1])
            for index, (name, spot) in enumerate(zip(PAYLOADS, spots, strict=True))
            if index != 2
        ]
        # The third is a resident's camera: its name is also shown in the purpose prompt.
        Camera.objects.filter(pk=self.live_camera.pk).update(
            name=PAYLOADS[2], lat=spots[2][0], lon=spots[2][1]
        )
        self.link_video(self.live_camera, self.pattern_dir)
        self.cameras.insert(2, Camera.objects.get(pk=self.live_camera.pk))
        self.layout = Layout.objects.create(
            agency=self.riverside, name=PAYLOADS[0], grid=3, tiles=[camera.pk for camera in self.cameras]
        )
        in_plain_thread(do_push_layout, self.supervisor, self.layout)

    def text(self, selector) -> str:
        return self.page.locator(selector).text_content()

    def tooltip_away(self) -> None:
        self.page.mouse.move(0, 0)
        self.page.wait_for_selector(".leaflet-tooltip", state="detached")

    def test_names_and_incidents_typed_as_markup_are_shown_as_text(self):
        page = self.page
        incident = self.post_incident(
            external_id=PAYLOADS[5],
            kind=PAYLOADS[0],
            lat=RIVERSIDE_CENTRE[0],
            lon=RIVERSIDE_CENTRE[1],
            address=PAYLOADS[4],
            priority=3,
        )
        label = f"P3 {PAYLOADS[0]}"
        self.sign_in_to_wall()

        # The pushed layout puts every camera on a tile; the private one asks for a purpose.
        page.wait_for_selector("#purpose-dialog[open]")
        self.assertEqual(self.text("#purpose-camera"), PAYLOADS[2])
        option = page.locator(f"#purpose-incident option[value='{incident['id']}']")
        self.assertEqual(option.text_content(), f"{label} · {PAYLOADS[4]}")
        page.select_option("#purpose-incident", str(incident["id"]))
        page.click("#purpose-ok")
        page.wait_for_selector("#purpose-dialog:not([open])", state="attached")
        self.assertTrue(
            self.text("#pushed-now").startswith(
                f"Wall pushed by {self.supervisor.username}: “{PAYLOADS[0]}”, until "
            ),
            self.text("#pushed-now"),
        )

        for camera in self.cameras:
            with self.subTest(camera=camera.name):
                self.assertEqual(
                    self.text(f"#camera-list li[data-camera-id='{camera.pk}'] .name"), camera.name
                )
                self.assertEqual(self.text(f"{self.tile(camera)} .name"), camera.name)
                page.hover(f".camera-marker[data-camera-id='{camera.pk}']")
                tooltip = page.wait_for_selector(".leaflet-tooltip")
                self.assertEqual(tooltip.text_content(), f"{camera.name} · live")
                self.tooltip_away()

        ring = page.locator(f".incident-marker[data-incident-id='{incident['id']}']")
        box = ring.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 1.5)  # on the ring's stroke
        self.assertEqual(page.wait_for_selector(".leaflet-tooltip").text_content(), label)
        self.tooltip_away()

        card = f".incident[data-incident-id='{incident['id']}']"
        self.assertEqual(self.text(f"{card} h3"), label)
        self.assertEqual(self.text(f"{card} p.where"), f"{PAYLOADS[4]} · CAD {PAYLOADS[5]}")
        docked = page.locator(f"{card} .docked li[data-camera-id] button")
        self.assertEqual(docked.count(), 4)
        names = {camera.pk: camera.name for camera in self.cameras}
        for item in page.locator(f"{card} .docked li[data-camera-id]").all():
            name = names[int(item.get_attribute("data-camera-id"))]
            self.assertTrue(item.text_content().startswith(f"{name} · "), item.text_content())

        # Clicked from the list, the map and the incident, shown on the wall: still text.
        page.click(".grid-button[data-grid='3']")
        for camera in self.cameras[:3]:
            page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        page.click(f".camera-marker[data-camera-id='{self.cameras[3].pk}']")
        docked.first.click()
        page.click(f"{card} .show-all")
        page.wait_for_selector(".tile[data-camera-id]:not([data-camera-id=''])")
        for tile in page.locator(".tile[data-camera-id]:not([data-camera-id=''])").all():
            self.assertEqual(
                tile.locator(".name").text_content(), names[int(tile.get_attribute("data-camera-id"))]
            )
        self.assertEqual(
            page.locator("#layout-select option").nth(1).text_content(), f"{PAYLOADS[0]} (agency)"
        )
        self.assertIn("{{7*7}}", page.locator("body").inner_text())
        self.shot("stored-text")
        self.assertEqual(page.evaluate(NOTHING_RAN), {"pwned": "undefined", "injected": 0, "scripts": 0})

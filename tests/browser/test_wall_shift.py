"""A shift on the wall in a real Chromium: the purpose set once, incidents worked, the keyboard alone.

Cameras have pictures from one test pattern (`PatternWallCase`): the media endpoints serve
it with all their checks, so a private tile plays only under a purpose the server accepted.
"""

import json
from urllib.request import Request, urlopen

import pytest
from rest_framework.authtoken.models import Token

from agencies.models import AccessEvent
from cameras.services import do_revoke_consent, do_set_consent
from tests.browser.wall import PatternWallCase, in_plain_thread
from tests.personas import RIVERSIDE_CENTRE

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

LAT, LON = RIVERSIDE_CENTRE
QUIET_MS = 1_500  # half as long again as the old prompt's one-second return


class WallShiftTests(PatternWallCase):
    def setUp(self):
        super().setUp()
        self.oak = self.camera_with_video("Oak Ave & 2nd", lat=LAT + 0.0005, lon=LON)
        self.link_video(self.live_camera, self.pattern_dir)

    def wall_tiles(self) -> list:
        return self.page.evaluate("window.rtccWall.state.tiles")

    def dialog_stays_shut(self):
        self.page.wait_for_timeout(QUIET_MS)
        self.assertFalse(self.page.locator("#purpose-dialog").evaluate("(dialog) => dialog.open"))

    def wait_for_live(self, camera):
        self.page.wait_for_selector(f"{self.tile(camera)}.playing .badge[data-kind=live]")

    def call_api(self, method, path, user, body=None):
        token, _ = Token.objects.get_or_create(user=user)
        request = Request(
            f"{self.base}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
            method=method,
        )
        with urlopen(request, timeout=30) as response:  # noqa: S310 -- our own server
            return json.load(response)

    def test_purpose_is_set_once_and_holds_across_grid_changes_reloads_and_regrants(self):
        page = self.page
        self.sign_in_to_wall()
        page.click(f"#camera-list li[data-camera-id='{self.live_camera.pk}']")
        # The first private tile asks once; "Not now" leaves a quiet placeholder.
        page.wait_for_selector("#purpose-dialog[open]")
        page.click("#purpose-cancel")
        page.wait_for_selector(f"{self.tile(self.live_camera)}[data-mode=purpose]")
        self.dialog_stays_shut()
        page.keyboard.press("3")
        page.wait_for_selector(".grid[data-grid='3']")
        self.dialog_stays_shut()
        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        page.wait_for_selector(f"{self.tile(self.live_camera)}[data-mode=purpose]")
        self.dialog_stays_shut()
        self.assertFalse(
            AccessEvent.objects.filter(action="view_start", target_id=str(self.live_camera.pk)).exists()
        )

        # Set from the header once: the private tile plays and the header says why.
        page.click("#purpose-change")
        page.fill("#purpose-case", "RPD-2026-0077")
        page.fill("#purpose-reason", "Stolen van on Main St")
        page.click("#purpose-ok")
        page.wait_for_selector("#purpose-bar[data-set=yes]")
        self.assertEqual(page.text_content("#purpose-now"), "Case RPD-2026-0077: Stolen van on Main St")
        self.wait_for_live(self.live_camera)

        page.keyboard.press("2")
        page.wait_for_selector(".grid[data-grid='2']")
        self.wait_for_live(self.live_camera)
        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        self.wait_for_live(self.live_camera)
        self.assertEqual(page.text_content("#purpose-now"), "Case RPD-2026-0077: Stolen van on Main St")

        # The owner revokes and grants again: the tile goes dark, then plays with no prompt.
        in_plain_thread(do_revoke_consent, self.resident, self.live_camera)
        page.wait_for_selector(f"{self.tile(self.live_camera)}[data-mode=dark]")
        in_plain_thread(do_set_consent, self.resident, self.live_camera, "live")
        self.wait_for_live(self.live_camera)
        self.dialog_stays_shut()

        # Every look opened its own view, audited with that purpose.
        starts = AccessEvent.objects.filter(
            action="view_start", target_id=str(self.live_camera.pk), outcome="allowed"
        )
        self.assertGreaterEqual(starts.count(), 1)
        self.assertEqual(
            set(starts.values_list("case_number", "purpose")), {("RPD-2026-0077", "Stolen van on Main St")}
        )
        self.shot("purpose-set-once")

    def test_incidents_sort_by_priority_then_age_tick_and_are_worked(self):
        page = self.page
        calls = [("P4-OLD", 4), ("P1-FIRST", 1), ("P2", 2), ("P1-SECOND", 1), ("P3", 3)]
        opened = {
            cad_id: self.post_incident(
                external_id=cad_id,
                kind="Call " + cad_id,
                lat=LAT,
                lon=LON,
                address="1 Main St",
                priority=priority,
            )
            for cad_id, priority in calls
        }
        far = self.post_incident(external_id="FAR", kind="Far call", lat=LAT + 0.2, lon=LON, priority=5)
        self.sign_in_to_wall()
        page.wait_for_selector(".incident")
        order = page.eval_on_selector_all(
            ".incident", "(cards) => cards.map((card) => card.dataset.incidentId)"
        )
        expected = [opened[cad]["id"] for cad in ("P1-FIRST", "P1-SECOND", "P2", "P3", "P4-OLD")] + [
            far["id"]
        ]
        self.assertEqual(order, [str(pk) for pk in expected])

        # The age ticks; the strip scrolls instead of pushing the wall sideways.
        first_card = f".incident[data-incident-id='{opened['P1-FIRST']['id']}']"
        before = page.text_content(f"{first_card} .age")
        page.wait_for_function(
            "([card, before]) => document.querySelector(card + ' .age').textContent !== before",
            arg=[first_card, before],
        )
        strip = page.eval_on_selector(
            "#incidents", "(s) => ({scroll: s.scrollWidth, client: s.clientWidth, height: s.offsetHeight})"
        )
        self.assertGreater(strip["scroll"], strip["client"])
        self.assertLessEqual(strip["height"], 210)
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 1400)

        # Unacknowledged P1s flash; acknowledging stops it on record.
        self.assertIn("alerting", page.get_attribute(first_card, "class"))
        page.click(f"{first_card} button.acknowledge")
        page.wait_for_selector(f"{first_card}:not(.alerting) .acknowledged")
        self.assertEqual(
            page.text_content(f"{first_card} .acknowledged"), f"Acknowledged by {self.dispatcher.username}"
        )
        line = AccessEvent.objects.get(
            target_type="incident", target_id=str(opened["P1-FIRST"]["id"]), actor=self.dispatcher
        )
        self.assertEqual(line.detail["change"], "acknowledged")

        # A new P1 sounds once the page has had a gesture, unless muted; mute is remembered.
        page.mouse.click(5, 300)
        sounded = page.evaluate("window.rtccWall.sounds.played")
        self.post_incident(external_id="P1-NEW", kind="Shots fired", lat=LAT, lon=LON, priority=1)
        page.wait_for_function("(before) => window.rtccWall.sounds.played > before", arg=sounded)
        page.click("#incident-mute")
        self.assertEqual(page.get_attribute("#incident-mute", "aria-pressed"), "true")
        page.reload()
        page.wait_for_selector("#conn[data-state=live]")
        self.assertEqual(page.get_attribute("#incident-mute", "aria-pressed"), "true")
        page.mouse.click(5, 300)
        self.post_incident(external_id="P1-MUTED", kind="Shots fired", lat=LAT, lon=LON, priority=1)
        page.wait_for_selector(".incident h3 >> text=Shots fired", state="attached")
        page.wait_for_function("() => document.querySelectorAll('.incident').length === 8")
        self.assertEqual(page.evaluate("window.rtccWall.sounds.played"), 0)

        # "Show on wall" fills free tiles and keeps the rest; Undo puts the wall back.
        page.keyboard.press("2")
        page.click(f"#camera-list li[data-camera-id='{self.street_camera.pk}']")
        wall_before = self.wall_tiles()
        page.click(f"{first_card} .show-all")
        after = self.wall_tiles()
        self.assertEqual(after[0], self.street_camera.pk)
        self.assertIn(self.oak.pk, after)
        if self.live_camera.pk in after:  # docked too: the first private tile asks once
            page.click("#purpose-cancel")
        page.click("#wall-undo")
        self.assertEqual(self.wall_tiles(), wall_before)

        # No camera to show: the button is disabled and looks it.
        far_card = f".incident[data-incident-id='{far['id']}']"
        self.assertTrue(page.is_disabled(f"{far_card} .show-all"))
        looks = page.evaluate(
            f"""() => [document.querySelector("{far_card} .show-all"), document.querySelector("{first_card} .show-all")]
                .map((b) => getComputedStyle(b).backgroundColor + getComputedStyle(b).cursor)"""
        )
        self.assertNotEqual(looks[0], looks[1])
        self.assertIn("not-allowed", looks[0])

        # Dismissed and closed incidents leave.
        page.click(f".incident[data-incident-id='{opened['P4-OLD']['id']}'] button.dismiss")
        page.wait_for_selector(f".incident[data-incident-id='{opened['P4-OLD']['id']}']", state="detached")
        self.call_api("PATCH", f"/api/v1/incidents/{opened['P2']['id']}/", self.cad, {"closed": True})
        page.wait_for_selector(f".incident[data-incident-id='{opened['P2']['id']}']", state="detached")
        self.shot("incidents-worked")

    def test_keyboard_alone_places_cameras_and_lists_its_keys(self):
        page = self.page
        self.sign_in_to_wall()
        page.keyboard.press("2")
        page.wait_for_selector(".grid[data-grid='2']")
        page.locator(".tile[data-index='0']").focus()
        # Enter on an empty tile does not enlarge it: it goes to the search to fill it.
        page.keyboard.press("Enter")
        self.assertIsNone(page.evaluate("window.rtccWall.state.enlarged"))
        self.assertEqual(page.evaluate("document.activeElement.id"), "camera-search")
        page.keyboard.type("oak ave")
        page.keyboard.press("Enter")
        # The search is the server's: Enter places its first match once it has answered.
        page.wait_for_function(f"() => window.rtccWall.state.tiles[0] === {self.oak.pk}")
        # The list takes focus: the arrows walk it and Enter puts the camera on the selected tile.
        page.keyboard.press("Control+a")
        page.keyboard.press("Backspace")
        page.wait_for_function(
            "() => document.getElementById('camera-count').textContent.endsWith(' cameras')"
        )
        page.keyboard.press("ArrowDown")
        names = page.eval_on_selector_all(
            "#camera-list li:not([hidden])", "(items) => items.map((i) => Number(i.dataset.cameraId))"
        )
        street_at = names.index(self.street_camera.pk)
        for _ in range(street_at):
            page.keyboard.press("ArrowDown")
        self.assertEqual(
            page.evaluate("Number(document.activeElement.dataset.cameraId)"), self.street_camera.pk
        )
        page.keyboard.press("Enter")
        self.assertEqual(self.wall_tiles()[:2], [self.oak.pk, self.street_camera.pk])
        self.assertEqual(page.evaluate("window.rtccWall.state.focus"), 2)
        # Escape leaves the list; Tab reaches the selected tile; Enter enlarges a tile with a camera.
        page.keyboard.press("Escape")
        page.locator(".tile[data-index='0']").focus()
        page.keyboard.press("Enter")
        self.assertEqual(page.evaluate("window.rtccWall.state.enlarged"), 0)
        page.keyboard.press("Escape")
        self.assertIsNone(page.evaluate("window.rtccWall.state.enlarged"))
        page.keyboard.press("?")
        page.wait_for_selector("#shortcuts-dialog[open]")
        self.assertIn("Put the first match on the selected tile", page.text_content("#shortcuts-dialog"))
        page.keyboard.press("Escape")
        page.wait_for_selector("#shortcuts-dialog:not([open])", state="attached")
        self.shot("keyboard")

"""Past video on the wall in a real Chromium: playback of a recorded minute and its export,
footage requests to owners from an incident card, and a tile popped out to its own window.

The recordings are real: ffmpeg writes a minute of H.264 in the relay's segment format
(tests/portal/helpers.py), with one segment lost so that the timeline has a gap.
"""

import hashlib
import shutil
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import AccessEvent
from cameras.footage.models import FootageRequest, RecordingExport
from cameras.footage.services import do_answer_footage_request
from cameras.models import Consent
from cameras.relay.layout import recordings_dir
from cameras.viewing.models import ViewingSession
from tests.browser.wall import PatternWallCase, in_plain_thread
from tests.personas import RIVERSIDE_CENTRE, make_camera
from tests.portal.helpers import record_minute_with_a_gap

pytestmark = [pytest.mark.browser, pytest.mark.ffmpeg]

LAT, LON = RIVERSIDE_CENTRE
CASE = "RPD-2026-0101"


class WallPlaybackTests(PatternWallCase):
    def wait_until(self, page, expression, seconds=60):
        # Polled from here: the page's CSP forbids the eval that wait_for_function uses.
        deadline = time.monotonic() + seconds
        while not page.evaluate(expression):
            if time.monotonic() > deadline:
                self.fail(f"never true: {expression}")
            page.wait_for_timeout(200)

    def set_purpose(self):
        page = self.page
        page.click("#purpose-change")
        page.fill("#purpose-case", CASE)
        page.fill("#purpose-reason", "Hit and run on Main St")
        page.click("#purpose-ok")
        page.wait_for_selector("#purpose-bar[data-set=yes]")

    def test_a_recorded_minute_plays_back_with_its_gap_and_exports_with_a_matching_sha256(self):
        camera = self.street_camera
        self.link_video(camera, self.pattern_dir)
        start = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
        self.addCleanup(shutil.rmtree, recordings_dir(camera.pk), True)
        record_minute_with_a_gap(camera.pk, start)

        page = self.page
        self.sign_in_to_wall()
        self.set_purpose()
        page.click(f"#camera-list li[data-camera-id='{camera.pk}']")
        page.click(f"{self.tile(camera)} .name")  # the tile is selected: its playback button shows
        page.click(f"{self.tile(camera)}.focused .play-back")
        page.wait_for_selector("#playback-dialog[data-state=ready]")
        # Two recorded stretches either side of the lost segment: the gap is on the timeline.
        self.assertEqual(page.locator("#playback-timeline .timeline-span").count(), 2)
        page.wait_for_selector("#playback-dialog[data-playing=yes]")
        session = ViewingSession.objects.get(camera=camera, ended_at__isnull=True)
        self.assertEqual(session.case_number, CASE)
        self.assertTrue(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.VIEW_START, target_id=str(camera.pk), detail__playback=True
            ).exists()
        )

        page.click("#mark-in")
        marked_in = page.evaluate("window.rtccWall.playback.marks.in")
        self.wait_until(page, f"window.rtccWall.playback.playing > {marked_in} + 3000")
        page.click("#mark-out")
        page.click("#playback-export:not([disabled])")
        page.wait_for_selector("#playback-dialog[data-export]")
        self.shot("playback-export")
        shown = page.text_content("#playback-sha").removeprefix("SHA-256 ")
        export = RecordingExport.objects.get(pk=int(page.get_attribute("#playback-dialog", "data-export")))
        download = page.request.get(f"{self.base}{page.get_attribute('#playback-download', 'href')}")
        self.assertEqual(download.status, 200)
        digest = hashlib.sha256(download.body()).hexdigest()
        self.assertEqual(digest, shown)
        self.assertEqual(digest, export.manifest["clip"]["sha256"])
        self.assertEqual(export.case_number, CASE)
        self.assertIn(self.dispatcher.username, export.manifest["clip"]["watermark"])
        self.assertTrue(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.EXPORT, detail__recording_export=export.pk, case_number=CASE
            ).exists()
        )
        # The marks were taken from the picture's own time, inside the recorded minute.
        self.assertGreaterEqual(export.start, start)
        self.assertLessEqual(export.end, start + timedelta(seconds=60))

    def test_an_incident_card_asks_nearby_owners_for_footage_and_shows_the_answer(self):
        shop = make_camera(
            self.riverside,
            "Corner shop door",
            owner=self.neighbour,
            level=Consent.Level.ON_REQUEST,
            lat=LAT + 0.0004,
            lon=LON,
        )
        page = self.page
        self.sign_in_to_wall()
        self.post_incident(
            external_id="CAD-77", kind="Burglary", lat=LAT, lon=LON, address="12 Main St", priority=2
        )
        card = "#incidents .incident"
        page.click(f"{card} .ask-footage")
        page.wait_for_selector("#footage-dialog[open]")
        self.assertIn("Corner shop door", page.text_content("#footage-cameras"))
        page.fill("#footage-case", "")
        page.click("#footage-send")
        # The API's rules, said in the form: a case number is needed.
        self.wait_until(page, "document.getElementById('footage-error').textContent.length > 0")
        self.assertFalse(FootageRequest.objects.exists())
        page.fill("#footage-case", CASE)
        page.fill("#footage-reason", "Burglary at 12 Main St")
        page.click("#footage-send")
        page.wait_for_selector(f"{card} .footage-status:text('waiting for the owner')")
        asked = FootageRequest.objects.get(camera=shop)
        self.assertEqual(asked.case_number, CASE)
        self.assertGreaterEqual(asked.end - asked.start, timedelta(minutes=15))

        # A reload still says where the requests stand.
        page.reload()
        page.wait_for_selector(f"{card} .footage-status:text('waiting for the owner')")
        in_plain_thread(lambda: do_answer_footage_request(self.neighbour, asked, approve=False))
        page.wait_for_selector(f"{card} .footage-status:text('declined')", timeout=60_000)

    def test_a_tile_pops_out_to_a_window_that_opens_its_own_view_under_the_purpose(self):
        self.link_video(self.live_camera, self.pattern_dir)
        page = self.page
        self.sign_in_to_wall()
        self.set_purpose()
        page.click(f"#camera-list li[data-camera-id='{self.live_camera.pk}']")
        with page.expect_popup() as popup_info:
            page.click(f"{self.tile(self.live_camera)} .pop-out")
        popup = popup_info.value
        popup.wait_for_selector(f".tile[data-camera-id='{self.live_camera.pk}'].playing", timeout=90_000)
        self.assertEqual(popup.text_content("#purpose-now"), page.text_content("#purpose-now"))
        session = ViewingSession.objects.filter(camera=self.live_camera, ended_at__isnull=True).get()
        self.assertEqual(session.case_number, CASE)
        # Closing the popped-out tile closes its window; the wall keeps its own tile.
        with popup.expect_event("close"):
            popup.click(".tile .clear")
        self.assertEqual(page.evaluate("window.rtccWall.state.tiles[0]"), self.live_camera.pk)

"""Playback of hub recordings and exports, through the API, over real recording segments made by ffmpeg."""

import hashlib
import json
import re
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import AccessEvent
from cameras.footage.models import RecordingExport
from cameras.viewing.models import ViewingSession
from rtcc.ffmpeg import find_ffmpeg
from tests.orders.helpers import use_temporary_media
from tests.personas import Personas
from tests.portal.helpers import record_minute_with_a_gap, record_segments
from tests.wall.fixtures import give_pull_source, make_contract

pytestmark = pytest.mark.ffmpeg

PURPOSE = {"purpose": "Robbery follow-up", "case_number": "RPD-26-0042"}


class PlaybackTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_contract(cls.riverside)
        give_pull_source(cls.street_camera)

    def setUp(self):
        use_temporary_media(self)
        self.start = (timezone.now() - timedelta(minutes=10)).replace(microsecond=0)
        # A minute with the third segment lost: a 10 s gap the timeline must show.
        record_minute_with_a_gap(self.street_camera.pk, self.start)

    def open_playback(self, user=None, camera=None, **body):
        camera = camera or self.street_camera
        return self.api(user or self.dispatcher).post(
            f"/api/v1/cameras/{camera.pk}/playback/", {**PURPOSE, **body}, format="json"
        )

    def test_playback_is_a_viewing_session_with_a_timeline_that_shows_the_gap(self):
        response = self.open_playback()
        self.assertEqual(response.status_code, 200, response.content)
        spans = response.json()["spans"]
        self.assertEqual(len(spans), 2)
        self.assertEqual(spans[0]["start"], self.start.isoformat())
        self.assertEqual(spans[0]["end"], (self.start + timedelta(seconds=20)).isoformat())
        self.assertEqual(spans[1]["start"], (self.start + timedelta(seconds=30)).isoformat())
        session = ViewingSession.objects.get(pk=response.json()["session"])
        self.assertEqual(session.case_number, "RPD-26-0042")
        lines = AccessEvent.objects.filter(
            action=AccessEvent.Action.VIEW_START, target_id=str(self.street_camera.pk)
        )
        self.assertTrue(any(line.detail.get("playback") for line in lines))

    def test_vod_playlist_names_each_segment_with_a_discontinuity_at_the_gap_and_serves_it(self):
        url = self.open_playback(start=self.start.isoformat()).json()["url"]
        self.client.force_login(self.dispatcher)
        playlist = self.client.get(url)
        self.assertEqual(playlist.status_code, 200)
        text = playlist.content.decode()
        self.assertIn("#EXT-X-PLAYLIST-TYPE:VOD", text)
        self.assertIn("#EXT-X-ENDLIST", text)
        self.assertEqual(text.count("#EXT-X-DISCONTINUITY"), 1)
        names = re.findall(r"^(\d{8}T\d{6}Z\.ts)$", text, re.M)
        self.assertEqual(len(names), 5)
        segment = self.client.get(url.rsplit("/", 1)[0] + "/" + names[0])
        self.assertEqual(segment.status_code, 200)
        self.assertEqual(b"".join(segment.streaming_content)[:1], b"\x47")  # an MPEG-TS sync byte

    def test_someone_else_cannot_use_the_link_and_a_closed_session_ends_it(self):
        url = self.open_playback().json()["url"]
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.client.force_login(self.dispatcher)
        self.assertEqual(self.client.get(url).status_code, 200)
        self.api(self.dispatcher).delete(f"/api/v1/cameras/{self.street_camera.pk}/live/")
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_renewal_takes_a_playlist_link_only_and_a_far_future_start_is_no_error(self):
        url = self.open_playback(start=self.start.isoformat()).json()["url"]
        renew = f"/api/v1/cameras/{self.street_camera.pk}/playback/renew/"
        api = self.api(self.dispatcher)
        renewed = api.post(renew, {"url": url}, format="json")
        self.assertEqual(renewed.status_code, 200, renewed.content)
        segment_link = url.rsplit("/", 1)[0] + "/" + self.start.strftime("%Y%m%dT%H%M%SZ") + ".ts"
        self.assertEqual(api.post(renew, {"url": segment_link}, format="json").status_code, 400)
        far = url.rsplit("/", 1)[0] + "/99991231T235959Z.m3u8"
        self.client.force_login(self.dispatcher)
        self.assertEqual(self.client.get(far).status_code, 200, "a start ahead of now plays what is kept")
        self.assertEqual(api.post(renew, {"url": far}, format="json").status_code, 200)

    def test_a_private_camera_without_live_consent_plays_nothing_back_and_the_refusal_is_audited(self):
        response = self.open_playback(camera=self.registry_camera)
        self.assertEqual(response.status_code, 403)
        # Refused looks are kept in the audit as a live view's are.
        refused = AccessEvent.objects.get(
            action=AccessEvent.Action.VIEW_START, target_id=str(self.registry_camera.pk)
        )
        self.assertEqual(refused.outcome, AccessEvent.Outcome.DENIED)
        self.assertEqual(refused.case_number, "RPD-26-0042")

    def test_playback_needs_a_purpose(self):
        response = self.open_playback(purpose="")
        self.assertEqual(response.status_code, 400)
        self.assertIn("purpose", response.json())

    def test_export_is_a_watermarked_mp4_whose_sha256_matches_its_manifest_and_audit(self):
        body = {
            "start": (self.start + timedelta(seconds=5)).isoformat(),
            "end": (self.start + timedelta(seconds=18)).isoformat(),
            "case_number": "RPD-26-0042",
            "reason": "Robbery follow-up",
        }
        response = self.api(self.dispatcher).post(
            f"/api/v1/cameras/{self.street_camera.pk}/exports/", body, format="json"
        )
        self.assertEqual(response.status_code, 201, response.content)
        export = RecordingExport.objects.get(pk=response.json()["id"])
        clip = self.api(self.dispatcher).get(response.json()["clip_url"])
        data = b"".join(clip.streaming_content)
        digest = hashlib.sha256(data).hexdigest()
        manifest = json.loads(export.absolute_path.with_suffix(".json").read_text())
        self.assertEqual(manifest["clip"]["sha256"], digest)
        self.assertEqual(clip["X-Content-SHA256"], digest)
        self.assertIn("RPD-26-0042", manifest["clip"]["watermark"])
        self.assertIn(self.dispatcher.username, manifest["clip"]["watermark"])
        self.assertIn("Riverside PD", manifest["clip"]["watermark"])
        self.assertEqual(len(manifest["segments"]), 2)
        audit = (
            AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT, detail__recording_export=export.pk)
            .order_by("pk")
            .first()
        )
        self.assertEqual(audit.detail["sha256"], digest)
        self.assertEqual(audit.case_number, "RPD-26-0042")
        # Cut to the marks (13 s), not to whole segments (20 s).
        probe = subprocess.run(
            [find_ffmpeg().path, "-hide_banner", "-i", str(export.absolute_path)],
            capture_output=True,
            text=True,
        )
        duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", probe.stderr)
        self.assertAlmostEqual(float(duration.group(3)), 13, delta=1.0)
        # The watermark is in the picture: the same moment in the kept original differs from the
        # export where the text box is drawn (bottom left), far more than re-encoding alone makes it.
        original = export.absolute_path.with_name(manifest["original"]["name"])
        exported, kept = gray_frame(export.absolute_path, 1.0), gray_frame(original, 6.0)
        box = mean_difference(exported, kept, rows=range(200, 236), columns=range(10, 150))
        elsewhere = mean_difference(exported, kept, rows=range(10, 100), columns=range(10, 310))
        self.assertGreater(box, 5 * max(elsewhere, 1.0))

    def test_a_private_camera_is_not_exported_here(self):
        record_segments(self.live_camera.pk, self.start, 2)
        body = {
            "start": self.start.isoformat(),
            "end": (self.start + timedelta(seconds=10)).isoformat(),
            "case_number": "RPD-26-0042",
            "reason": "Robbery follow-up",
        }
        response = self.api(self.dispatcher).post(
            f"/api/v1/cameras/{self.live_camera.pk}/exports/", body, format="json"
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(RecordingExport.objects.exists())

    def test_export_window_is_checked(self):
        body = {
            "start": self.start.isoformat(),
            "end": self.start.isoformat(),
            "case_number": "X",
            "reason": "r",
        }
        url = f"/api/v1/cameras/{self.street_camera.pk}/exports/"
        self.assertEqual(self.api(self.dispatcher).post(url, body, format="json").status_code, 400)
        body["end"] = (self.start + timedelta(seconds=10)).isoformat()
        body["case_number"] = ""
        self.assertEqual(self.api(self.dispatcher).post(url, body, format="json").status_code, 400)
        self.assertFalse(RecordingExport.objects.exists())


WIDTH, HEIGHT = 320, 240


def gray_frame(path, at: float) -> bytes:
    """One frame at `at` seconds as 8-bit grey, WIDTH x HEIGHT."""
    return subprocess.run(
        [find_ffmpeg().path, "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1"]
        + ["-vf", f"scale={WIDTH}:{HEIGHT}", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True,
        check=True,
    ).stdout


def mean_difference(a: bytes, b: bytes, *, rows, columns) -> float:
    values = [abs(a[row * WIDTH + column] - b[row * WIDTH + column]) for row in rows for column in columns]
    return sum(values) / len(values)

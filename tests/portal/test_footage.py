import hashlib
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agencies.models import AccessEvent
from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Consent
from tests.personas import Personas, make_camera
from tests.portal.helpers import MediaRootMixin, post_footage_request, record_segments


class FootageCase(MediaRootMixin, Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.on_request_camera = make_camera(
            cls.riverside, "Rita's shop", owner=cls.resident, level=Consent.Level.ON_REQUEST, lat=41.8815
        )
        cls.ned_camera = make_camera(
            cls.riverside, "Ned's drive", owner=cls.neighbour, level=Consent.Level.ON_REQUEST, lat=41.8795
        )

    def window(self, minutes=30):
        start = (timezone.now() - timedelta(minutes=minutes + 30)).replace(microsecond=0)
        return start, start + timedelta(minutes=minutes)

    def ask(
        self, cameras, *, user=None, minutes=30, case_number="RPD-2026-0042", reason="Burglary on 1st St"
    ):
        start, end = self.window(minutes)
        with self.captureOnCommitCallbacks(execute=True):
            return post_footage_request(
                self.api(user or self.dispatcher), cameras, start, end, case_number=case_number, reason=reason
            )

    def make_request(self, camera=None) -> FootageRequest:
        response = self.ask([(camera or self.on_request_camera).pk])
        self.assertEqual(response.status_code, 201, response.content)
        return FootageRequest.objects.get(pk=response.json()[0]["id"])

    def answer(self, footage_request, answer, user=None):
        with self.captureOnCommitCallbacks(execute=True):
            return self.api(user or self.resident).post(
                f"/api/v1/portal/footage-requests/{footage_request.pk}/answer/",
                {"answer": answer},
                format="json",
            )


class CreateFootageRequestTests(FootageCase):
    def test_dispatcher_asks_on_request_and_live_cameras_one_row_each(self):
        response = self.ask([self.on_request_camera.pk, self.live_camera.pk, self.ned_camera.pk])
        self.assertEqual(response.status_code, 201, response.content)
        rows = response.json()
        self.assertEqual(len(rows), 3)
        self.assertEqual({row["status"] for row in rows}, {"pending"})
        self.assertEqual(len({row["batch"] for row in rows}), 1)
        self.assertEqual(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.FOOTAGE_REQUEST, case_number="RPD-2026-0042"
            ).count(),
            3,
        )
        self.assertEqual(len(mail.outbox), 3, "each owner is told of the request")

    def test_missing_case_number_is_400(self):
        response = self.ask([self.on_request_camera.pk], case_number="  ")
        self.assertEqual(response.status_code, 400)
        self.assertIn("case_number", response.json())
        self.assertFalse(FootageRequest.objects.exists())

    def test_window_shorter_than_15_minutes_or_longer_than_12_hours_is_400(self):
        for minutes in [14, 12 * 60 + 1]:
            response = self.ask([self.on_request_camera.pk], minutes=minutes)
            self.assertEqual(response.status_code, 400, minutes)
            self.assertIn("15 minutes to 12 hours", json.dumps(response.json()))
        for minutes in [15, 12 * 60]:
            self.assertEqual(self.ask([self.on_request_camera.pk], minutes=minutes).status_code, 201, minutes)

    def test_window_in_the_future_is_400(self):
        start = timezone.now() + timedelta(minutes=5)
        response = post_footage_request(
            self.api(self.dispatcher), [self.on_request_camera.pk], start, start + timedelta(hours=1)
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("end", response.json())

    def test_revoked_camera_cannot_be_asked_and_nothing_is_saved(self):
        response = self.ask([self.on_request_camera.pk, self.revoked_camera.pk])
        self.assertEqual(response.status_code, 400)
        self.assertIn("No private camera of your agency", json.dumps(response.json()))
        self.assertFalse(FootageRequest.objects.exists())

    def test_a_registry_camera_can_be_asked_its_owner_decides(self):
        response = self.ask([self.registry_camera.pk])
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(FootageRequest.objects.get().status, FootageRequest.Status.PENDING)

    def test_other_agency_cameras_are_unknown(self):
        response = self.ask([self.on_request_camera.pk], user=self.outsider)
        self.assertEqual(response.status_code, 400)
        self.assertIn("No private camera of your agency", json.dumps(response.json()))

    def test_resident_cannot_request_footage(self):
        self.assertEqual(self.ask([self.on_request_camera.pk], user=self.resident).status_code, 403)

    def test_malformed_body_is_400(self):
        response = self.api(self.dispatcher).post(
            "/api/v1/footage-requests/", {"cameras": "x", "start": "yesterday"}, format="json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertTrue({"cameras", "start", "end"} <= set(response.json()))

    def test_agency_list_query_count_does_not_grow_with_requests(self):
        self.make_request()
        client = self.api(self.dispatcher)
        client.get("/api/v1/footage-requests/")
        with self.assertNumQueries(5):
            client.get("/api/v1/footage-requests/")
        self.make_request(self.ned_camera)
        self.make_request(self.live_camera)
        with self.assertNumQueries(5):
            client.get("/api/v1/footage-requests/")

    def test_agency_sees_only_its_own_requests(self):
        self.make_request()
        self.assertEqual(len(self.api(self.dispatcher).get("/api/v1/footage-requests/").json()["results"]), 1)
        self.assertEqual(self.api(self.outsider).get("/api/v1/footage-requests/").json()["results"], [])


class AnswerFootageRequestTests(FootageCase):
    def test_declined_request_yields_no_clip(self):
        footage_request = self.make_request()
        record_segments(self.on_request_camera.pk, footage_request.start, 3)
        response = self.answer(footage_request, "decline")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "declined")
        self.assertIsNone(response.json()["export"])
        self.assertFalse(FootageExport.objects.exists())
        self.assertFalse(
            (self.media_root / "exports").exists() and any((self.media_root / "exports").rglob("*.mp4"))
        )
        agency_view = self.api(self.dispatcher).get(f"/api/v1/footage-requests/{footage_request.pk}/").json()
        self.assertEqual(agency_view["status"], "declined")
        self.assertIsNone(agency_view["export"])
        self.assertNotIn("owner", agency_view)
        self.assertEqual(
            self.api(self.dispatcher).get(f"/api/v1/footage-requests/{footage_request.pk}/clip/").status_code,
            404,
        )

    @pytest.mark.ffmpeg
    def test_approved_request_yields_clip_whose_sha256_matches_its_manifest(self):
        footage_request = self.make_request()
        before = footage_request.start - timedelta(minutes=5)
        record_segments(self.on_request_camera.pk, before, 1)  # outside the window: not in the clip
        record_segments(self.on_request_camera.pk, footage_request.start + timedelta(seconds=3), 3)
        response = self.answer(footage_request, "approve")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["status"], "approved")
        export = FootageExport.objects.get(request=footage_request)
        data = export.absolute_path.read_bytes()
        self.assertEqual(data[4:8], b"ftyp", "an MP4 file")
        digest = hashlib.sha256(data).hexdigest()
        self.assertEqual(digest, export.sha256)
        self.assertEqual(digest, export.manifest["clip"]["sha256"])
        self.assertEqual(len(data), export.manifest["clip"]["size"])
        sidecar = json.loads(export.absolute_path.with_suffix(".json").read_text())
        self.assertEqual(sidecar["clip"]["sha256"], digest)
        self.assertEqual(len(export.manifest["segments"]), 3)
        for segment in export.manifest["segments"]:
            source = self.media_root / "recordings" / str(self.on_request_camera.pk) / segment["name"]
            self.assertEqual(hashlib.sha256(source.read_bytes()).hexdigest(), segment["sha256"])
        self.assertEqual(export.manifest["case_number"], "RPD-2026-0042")
        self.assertTrue(export.manifest["gaps"], "the 30 s of video leave the rest of the window as a gap")

        # The agency fetches it: the bytes are the same, and the clip is now delivered evidence.
        clip = self.api(self.dispatcher).get(f"/api/v1/footage-requests/{footage_request.pk}/clip/")
        self.assertEqual(clip.status_code, 200)
        self.assertEqual(hashlib.sha256(b"".join(clip.streaming_content)).hexdigest(), digest)
        export.refresh_from_db()
        self.assertTrue(export.delivered)
        self.assertEqual(
            self.api(self.outsider).get(f"/api/v1/footage-requests/{footage_request.pk}/clip/").status_code,
            404,
        )
        actions = set(
            AccessEvent.objects.filter(target_id=str(self.on_request_camera.pk)).values_list(
                "action", flat=True
            )
        )
        self.assertTrue({"footage_request", "footage_answer", "export"} <= actions)

    def test_approval_without_recordings_is_recorded_with_a_note_and_no_clip(self):
        footage_request = self.make_request()
        response = self.answer(footage_request, "approve")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "approved")
        self.assertIn("No recordings", response.json()["note"])
        self.assertFalse(FootageExport.objects.exists())

    def test_a_request_is_answered_once(self):
        footage_request = self.make_request()
        self.assertEqual(self.answer(footage_request, "decline").status_code, 200)
        response = self.answer(footage_request, "approve")
        self.assertEqual(response.status_code, 400)
        self.assertIn("already been answered", json.dumps(response.json()))

    def test_a_lapsed_request_cannot_be_answered(self):
        footage_request = self.make_request()
        FootageRequest.objects.filter(pk=footage_request.pk).update(
            answer_by=timezone.now() - timedelta(seconds=1)
        )
        response = self.answer(footage_request, "approve")
        self.assertEqual(response.status_code, 400)
        footage_request.refresh_from_db()
        self.assertEqual(footage_request.status, "expired")

    def test_bad_answer_is_400(self):
        footage_request = self.make_request()
        self.assertEqual(self.answer(footage_request, "maybe").status_code, 400)

    def test_another_resident_or_agency_user_cannot_answer(self):
        footage_request = self.make_request()
        for user in [self.neighbour, self.dispatcher, self.admin]:
            self.assertEqual(self.answer(footage_request, "approve", user=user).status_code, 404, user)
            self.assertEqual(
                self.api(user).get(f"/api/v1/portal/footage-requests/{footage_request.pk}/").status_code, 404
            )
        footage_request.refresh_from_db()
        self.assertEqual(footage_request.status, "pending")

    def test_owner_lists_only_requests_for_own_cameras(self):
        mine = self.make_request()
        self.make_request(self.ned_camera)
        rows = self.api(self.resident).get("/api/v1/portal/footage-requests/").json()["results"]
        self.assertEqual([row["id"] for row in rows], [mine.pk])
        self.assertEqual(rows[0]["agency"], "Riverside PD")

    def test_agency_is_told_the_answer_and_not_who_declined(self):
        footage_request = self.make_request()
        mail.outbox.clear()
        self.answer(footage_request, "decline")
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, [self.dispatcher.email])
        self.assertIn("declined", message.subject)
        self.assertNotIn(self.resident.username, message.body)
        self.assertNotIn(self.resident.email, message.body)

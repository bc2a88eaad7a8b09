import time
from unittest import mock

from agencies.incidents import do_open_incident
from agencies.models import AccessEvent, Membership
from cameras.media.signing import hls_url_for
from cameras.services import do_revoke_consent
from cameras.viewing.models import ViewingSession
from tests.personas import Personas, make_user
from tests.wall.fixtures import give_pull_source, make_contract


class LiveApiTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_contract(cls.riverside)
        give_pull_source(cls.street_camera)
        cls.oversight = make_user("otto-oversight", cls.riverside, Membership.Role.OVERSIGHT)

    def live(self, camera, user=None, **body):
        return self.api(user or self.dispatcher).post(
            f"/api/v1/cameras/{camera.pk}/live/", body, format="json"
        )

    def renew(self, camera, hls_url, user=None):
        return self.api(user or self.dispatcher).post(
            f"/api/v1/cameras/{camera.pk}/live/renew/", {"hls_url": hls_url}, format="json"
        )

    def view_starts(self) -> int:
        return AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_START).count()

    def test_case_number_and_reason_open_a_private_camera(self):
        response = self.live(self.live_camera, purpose="Porch theft", case_number="RPD-2026-114")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertIn(f"/media/live/{self.live_camera.pk}/", body["hls_url"])
        self.assertTrue(body["hls_url"].endswith("/index.m3u8"))
        self.assertIn("expires_at", body)
        session = ViewingSession.objects.get(pk=body["session"])
        self.assertEqual((session.user, session.case_number), (self.dispatcher, "RPD-2026-114"))
        start = AccessEvent.objects.get(action=AccessEvent.Action.VIEW_START)
        self.assertEqual((start.purpose, start.case_number), ("Porch theft", "RPD-2026-114"))

    def test_an_open_incident_is_a_purpose(self):
        incident, _ = do_open_incident(
            self.admin, self.riverside, external_id="CAD-9", kind="Assault", lat=41.88, lon=-87.63
        )
        response = self.live(self.live_camera, purpose="Assault nearby", incident=incident.pk)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(ViewingSession.objects.get().incident, incident)

    def test_asking_again_reuses_the_open_session(self):
        first = self.live(self.live_camera, purpose="Porch theft", case_number="RPD-1").json()
        second = self.live(self.live_camera, purpose="Porch theft", case_number="RPD-1").json()
        self.assertEqual(first["session"], second["session"])
        self.assertEqual(AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_START).count(), 1)

    def test_without_purpose_is_a_400(self):
        response = self.live(self.live_camera)
        self.assertEqual(response.status_code, 400)
        self.assertIn("purpose", response.json())
        response = self.live(self.live_camera, purpose="Just looking")
        self.assertEqual(response.status_code, 400)
        self.assertIn("incident", response.json()["purpose"][0])
        self.assertFalse(ViewingSession.objects.exists())

    def test_closed_or_foreign_incident_is_not_a_purpose(self):
        lakeview_incident, _ = do_open_incident(
            self.outsider, self.lakeview, external_id="L-1", kind="Theft", lat=41.94, lon=-87.65
        )
        response = self.live(self.live_camera, purpose="x", incident=lakeview_incident.pk)
        self.assertEqual(response.status_code, 400)
        self.assertIn("incident", response.json())

    def test_agency_camera_needs_only_a_stated_purpose(self):
        response = self.live(self.street_camera, purpose="Wall monitoring")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertIsNone(response.json()["session"])
        self.assertEqual(
            AccessEvent.objects.get(action=AccessEvent.Action.VIEW_START).purpose, "Wall monitoring"
        )

    def test_without_live_consent_now_is_a_403_with_the_reason(self):
        do_revoke_consent(self.resident, self.live_camera)
        # Revoked consent hides the camera from the agency altogether.
        self.assertEqual(self.live(self.live_camera, purpose="x", case_number="1").status_code, 404)
        response = self.live(self.registry_camera, purpose="Porch theft", case_number="RPD-1")
        self.assertEqual(response.status_code, 403)
        self.assertIn("live", response.json()["detail"])
        denied = AccessEvent.objects.get(action=AccessEvent.Action.VIEW_START)
        self.assertEqual(denied.outcome, AccessEvent.Outcome.DENIED)
        self.assertFalse(ViewingSession.objects.exists())

    def test_camera_of_another_agency_is_not_found(self):
        response = self.live(self.lakeview_camera, purpose="x", case_number="1")
        self.assertEqual(response.status_code, 404)

    def test_roles_that_do_not_watch_video_are_refused(self):
        self.assertEqual(self.live(self.street_camera, self.oversight, purpose="x").status_code, 403)
        self.assertEqual(
            self.live(self.live_camera, self.resident, purpose="x", case_number="1").status_code, 403
        )

    def test_delete_ends_the_viewers_sessions(self):
        self.live(self.live_camera, purpose="Porch theft", case_number="RPD-1")
        response = self.api(self.dispatcher).delete(f"/api/v1/cameras/{self.live_camera.pk}/live/")
        self.assertEqual(response.status_code, 204)
        session = ViewingSession.objects.get()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.VIEWER)
        self.assertTrue(AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_STOP).exists())

    def test_renewing_an_agency_camera_link_keeps_the_view_without_a_new_audit_line(self):
        opened = self.live(self.street_camera, purpose="Wall monitoring").json()
        response = self.renew(self.street_camera, opened["hls_url"])
        self.assertEqual(response.status_code, 200, response.content)
        renewed = response.json()
        self.assertIsNone(renewed["session"])
        self.assertGreaterEqual(renewed["expires_at"], opened["expires_at"])
        self.assertEqual(self.view_starts(), 1)
        # The new link is served by the media endpoint (its checks pass; the file does not exist here).
        media = self.api(self.dispatcher).get(renewed["hls_url"])
        self.assertEqual(media.status_code, 404, media.content)
        self.assertIn("Not available yet", media.json()["detail"])

    def test_renewing_a_private_camera_link_keeps_its_session(self):
        opened = self.live(self.live_camera, purpose="Porch theft", case_number="RPD-1").json()
        # Renewed twice: each new link renews again, always within the first session.
        url = opened["hls_url"]
        for _ in range(2):
            renewed = self.renew(self.live_camera, url).json()
            self.assertEqual(renewed["session"], opened["session"])
            url = renewed["hls_url"]
        self.assertEqual(ViewingSession.objects.count(), 1)
        self.assertEqual(self.view_starts(), 1)

    def test_a_closed_session_is_not_renewed(self):
        opened = self.live(self.live_camera, purpose="Porch theft", case_number="RPD-1").json()
        self.api(self.dispatcher).delete(f"/api/v1/cameras/{self.live_camera.pk}/live/")
        response = self.renew(self.live_camera, opened["hls_url"])
        self.assertEqual(response.status_code, 403)
        self.assertIn("session has ended", response.json()["detail"])

    def test_revoked_consent_is_not_renewed(self):
        opened = self.live(self.live_camera, purpose="Porch theft", case_number="RPD-1").json()
        do_revoke_consent(self.resident, self.live_camera)
        self.assertEqual(self.renew(self.live_camera, opened["hls_url"]).status_code, 404)

    def test_an_expired_link_is_not_renewed(self):
        with mock.patch("django.core.signing.time.time", return_value=time.time() - 3 * 3600):
            url, _ = hls_url_for(self.street_camera, self.dispatcher, None)
        response = self.renew(self.street_camera, url)
        self.assertEqual(response.status_code, 403)
        self.assertIn("expired", response.json()["detail"])

    def test_only_the_viewer_renews_their_own_link_of_that_camera(self):
        opened = self.live(self.street_camera, purpose="Wall monitoring").json()
        teammate = self.renew(self.street_camera, opened["hls_url"], self.admin)
        self.assertEqual(teammate.status_code, 403)
        self.assertIn("someone else", teammate.json()["detail"])
        other_camera = self.renew(self.live_camera, opened["hls_url"])
        self.assertEqual(other_camera.status_code, 400)
        for junk in ["", "index.m3u8", "/media/snapshot/1.jpg", "http://[::1", "/api/v1/cameras/"]:
            with self.subTest(junk=junk):
                self.assertEqual(self.renew(self.street_camera, junk).status_code, 400)
        self.assertEqual(self.renew(self.street_camera, opened["hls_url"], self.oversight).status_code, 403)
        self.assertEqual(self.renew(self.lakeview_camera, opened["hls_url"]).status_code, 404)
        self.assertEqual(self.view_starts(), 1)

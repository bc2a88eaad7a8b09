"""The one consent rule and the one service that changes consent: no caller is weaker than either."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cameras.consent import live_refusal
from cameras.models import Camera, Consent
from cameras.services import do_set_consent
from cameras.tasks import end_lapsed_viewing_sessions
from cameras.viewing.models import ViewingSession
from cameras.viewing.services import do_open_viewing_session
from tests.personas import Personas, make_camera
from tests.wall.fixtures import make_contract


class ConsentServiceTests(Personas):
    def test_only_the_owner_changes_consent(self):
        for actor in [self.admin, self.dispatcher, self.neighbour]:
            with self.subTest(actor=actor.username), self.assertRaises(PermissionDenied):
                do_set_consent(actor, self.registry_camera, Consent.Level.LIVE)
        self.assertEqual(self.registry_camera.current_consent().level, Consent.Level.REGISTRY)

    def test_an_agency_camera_has_no_consent_to_change(self):
        with self.assertRaises(PermissionDenied):
            do_set_consent(self.admin, self.street_camera, Consent.Level.NONE)
        self.assertFalse(self.street_camera.consents.exists())

    def test_live_needs_a_claimed_edge_device_whoever_calls(self):
        # The garage camera has no device: the portal form and the API used to check this themselves.
        with self.assertRaises(ValidationError) as refused:
            do_set_consent(self.resident, self.registry_camera, Consent.Level.LIVE)
        self.assertIn("edge device", str(refused.exception.message_dict["level"]))
        self.assertEqual(self.registry_camera.current_consent().level, Consent.Level.REGISTRY)


class ViewingEndsWithConsentTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_contract(cls.riverside)

    def open_session(self, camera):
        return do_open_viewing_session(
            self.dispatcher, camera, purpose="Porch theft", case_number="RPD-2026-7"
        )

    def test_revoking_ends_open_sessions_with_that_reason(self):
        session = self.open_session(self.live_camera)
        with self.captureOnCommitCallbacks(execute=True):
            do_set_consent(self.resident, self.live_camera, Consent.Level.REGISTRY)
        session.refresh_from_db()
        self.assertIsNotNone(session.ended_at)
        self.assertEqual(session.end_reason, ViewingSession.EndReason.CONSENT_REVOKED)

    def test_a_session_past_its_expiry_ends_as_expired(self):
        session = self.open_session(self.live_camera)
        ViewingSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        self.assertEqual(end_lapsed_viewing_sessions(), 1)
        session.refresh_from_db()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.EXPIRED)
        self.assertEqual(end_lapsed_viewing_sessions(), 0)

    def test_consent_that_expired_ends_the_session_on_the_next_sweep(self):
        camera = make_camera(
            self.riverside, "Rita's side door", owner=self.resident, device=self.device, lat=41.8801
        )
        Consent.objects.create(
            camera=camera,
            level=Consent.Level.LIVE,
            set_by=self.resident,
            expires_at=timezone.now() + timedelta(minutes=5),
        )
        session = self.open_session(camera)
        Consent.objects.filter(camera=camera).update(expires_at=timezone.now() - timedelta(seconds=1))
        self.assertEqual(live_refusal(camera), "The owner's live consent has expired.")
        end_lapsed_viewing_sessions()
        session.refresh_from_db()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.CONSENT_REVOKED)

    def test_agency_cameras_are_live_without_an_owner(self):
        self.assertEqual(self.street_camera.kind, Camera.Kind.PUBLIC)
        self.assertEqual(live_refusal(self.street_camera), "The camera has no video source.")

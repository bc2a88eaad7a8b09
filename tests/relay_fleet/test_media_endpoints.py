"""Media endpoints: every playlist, segment and snapshot request is authorised again."""

import shutil
from datetime import date, timedelta

from django.test import Client, override_settings
from django.utils import timezone

from billing.models import Contract, Package
from cameras.media.signing import hls_url_for
from cameras.models import Consent
from cameras.relay.layout import live_dir, snapshot_path
from cameras.services import do_revoke_consent, do_set_consent
from cameras.viewing.models import ViewingSession
from cameras.viewing.services import do_close_viewing_session
from tests.personas import Personas, SignedInClient, make_active_contract
from tests.relay_fleet.fleet import open_session

PLAYLIST = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nseg-1.ts\n"


class LiveMediaTestCase(Personas):
    """The personas' live camera with a playlist and a segment on disk, and the dispatcher's open session."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        package = Package.objects.create(slug="standard", name="Standard", price_per_device_year=150)
        today = date.today()
        cls.contract = make_active_contract(
            cls.riverside,
            package,
            "RPD-1",
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=365),
            device_quota=10,
            price_per_device_year=150,
        )

    def setUp(self):
        folder = live_dir(self.live_camera.pk)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.addCleanup(shutil.rmtree, folder, True)
        (folder / "index.m3u8").write_text(PLAYLIST)
        (folder / "seg-1.ts").write_bytes(b"\x47" * 188)
        snapshot_path(self.live_camera.pk).write_bytes(b"\xff\xd8jpeg")
        self.session = open_session(
            self.dispatcher, self.riverside, self.live_camera, "burglary in progress", "RPD-2026-1"
        )
        self.url, self.expires_at = hls_url_for(self.live_camera, self.dispatcher, self.session)


class MediaEndpointTests(LiveMediaTestCase):
    def test_viewer_with_open_session_gets_playlist_and_segment(self):
        response = Client().get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/vnd.apple.mpegurl")
        self.assertEqual(response["Cache-Control"], "private, no-store")
        self.assertEqual(b"".join(response.streaming_content).decode(), PLAYLIST)
        segment = Client().get(self.url.replace("index.m3u8", "seg-1.ts"))
        self.assertEqual(segment.status_code, 200)
        self.assertEqual(segment["Content-Type"], "video/mp2t")
        self.assertAlmostEqual((self.expires_at - timezone.now()).total_seconds(), 300, delta=10)

    def test_tampered_signature_is_refused(self):
        tampered = self.url.replace("/index.m3u8", "x/index.m3u8")
        self.assertEqual(Client().get(tampered).status_code, 403)

    def test_garbage_token_is_refused_without_error(self):
        url = f"/media/live/{self.live_camera.pk}/not-a-token-at-all/index.m3u8"
        response = Client().get(url)
        self.assertEqual(response.status_code, 403)
        self.assertIn("invalid or has expired", response.json()["detail"])

    def test_expired_url_is_refused(self):
        with override_settings(RTCC_MEDIA_URL_SECONDS=-1):
            self.assertEqual(Client().get(self.url).status_code, 403)

    def test_url_moved_to_another_camera_is_refused(self):
        other = self.url.replace(f"/live/{self.live_camera.pk}/", f"/live/{self.registry_camera.pk}/")
        self.assertEqual(Client().get(other).status_code, 403)

    def test_url_used_by_another_signed_in_user_is_refused(self):
        client = SignedInClient()
        client.force_login(self.outsider)
        self.assertEqual(client.get(self.url).status_code, 403)

    def test_url_issued_to_other_agency_user_is_refused(self):
        session = open_session(self.outsider, self.lakeview, self.live_camera, "curious", "X-1")
        url, _ = hls_url_for(self.live_camera, self.outsider, session)
        self.assertEqual(Client().get(url).status_code, 404)

    def test_revoked_consent_refuses_the_next_request(self):
        segment_url = self.url.replace("index.m3u8", "seg-1.ts")
        self.assertEqual(Client().get(self.url).status_code, 200)
        self.assertEqual(Client().get(segment_url).status_code, 200)
        # Answered from the stored decision now: the revoke must void it at its commit.
        with self.captureOnCommitCallbacks(execute=True):
            do_revoke_consent(self.resident, self.live_camera)
        # Revoked to "none", the camera is no longer even listed to the agency: 404.
        self.assertIn(Client().get(self.url).status_code, {403, 404})
        self.assertIn(Client().get(segment_url).status_code, {403, 404})

    def test_consent_lowered_to_registry_refuses_with_the_reason(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        with self.captureOnCommitCallbacks(execute=True):
            do_set_consent(self.resident, self.live_camera, Consent.Level.REGISTRY)
        response = Client().get(self.url)
        self.assertEqual(response.status_code, 403)
        self.assertIn("does not share", response.json()["detail"])

    def test_closed_viewing_session_is_refused(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        with self.captureOnCommitCallbacks(execute=True):
            do_close_viewing_session(self.session)
        self.assertEqual(Client().get(self.url).status_code, 403)

    def test_lapsed_contract_is_refused(self):
        self.assertEqual(Client().get(self.url).status_code, 200)
        self.contract.status = Contract.Status.SUSPENDED
        with self.captureOnCommitCallbacks(execute=True):
            self.contract.save(update_fields=["status"])
        response = Client().get(self.url)
        self.assertEqual(response.status_code, 403)
        self.assertIn("contract", response.json()["detail"])

    def test_private_camera_without_session_is_refused(self):
        url, _ = hls_url_for(self.live_camera, self.dispatcher, None)
        self.assertEqual(Client().get(url).status_code, 403)

    def test_missing_segment_is_not_found_not_an_error(self):
        response = Client().get(self.url.replace("index.m3u8", "seg-99.ts"))
        self.assertEqual(response.status_code, 404)

    def test_path_outside_the_live_folder_does_not_match(self):
        response = Client().get(self.url.replace("index.m3u8", "..%2Fsnapshot.jpg"))
        self.assertEqual(response.status_code, 404)

    @override_settings(RTCC_MEDIA_ACCEL_REDIRECT="/protected-media/")
    def test_accel_redirect_hands_the_bytes_to_nginx(self):
        response = Client().get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response["X-Accel-Redirect"], f"/protected-media/live/{self.live_camera.pk}/index.m3u8"
        )
        self.assertEqual(response.content, b"")

    def test_wall_snapshot_needs_a_signed_in_agency_user_and_live_consent(self):
        url = f"/media/snapshot/{self.live_camera.pk}.jpg"
        self.assertEqual(Client().get(url).status_code, 403)
        outsider = SignedInClient()
        outsider.force_login(self.outsider)
        self.assertEqual(outsider.get(url).status_code, 404)
        resident = SignedInClient()
        resident.force_login(self.resident)
        self.assertEqual(resident.get(url).status_code, 403)
        dispatcher = SignedInClient()
        dispatcher.force_login(self.dispatcher)
        response = dispatcher.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        do_revoke_consent(self.resident, self.live_camera)
        self.assertIn(dispatcher.get(url).status_code, {403, 404})

    def test_private_snapshot_needs_an_open_viewing_session(self):
        url = f"/media/snapshot/{self.live_camera.pk}.jpg"
        teammate = SignedInClient()
        teammate.force_login(self.admin)  # same agency, may watch, but gave no purpose
        response = teammate.get(url)
        self.assertEqual(response.status_code, 403)
        self.assertIn("purpose", response.json()["detail"])
        dispatcher = SignedInClient()
        dispatcher.force_login(self.dispatcher)
        self.assertEqual(dispatcher.get(url).status_code, 200)
        ViewingSession.objects.filter(pk=self.session.pk).update(ended_at=timezone.now())
        self.assertEqual(dispatcher.get(url).status_code, 403)

    def test_snapshot_of_camera_with_no_relay_yet_is_not_found(self):
        snapshot_path(self.live_camera.pk).unlink()
        dispatcher = SignedInClient()
        dispatcher.force_login(self.dispatcher)
        self.assertEqual(dispatcher.get(f"/media/snapshot/{self.live_camera.pk}.jpg").status_code, 404)

import json
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from agencies.models import AccessEvent
from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Camera, Consent, PrivacyMask
from cameras.relay.layout import recordings_dir, snapshot_path
from cameras.viewing.models import ViewingSession
from devices.models import Device
from rtcc import ratelimit
from tests.personas import PASSWORD, Personas, make_camera
from tests.portal.helpers import MediaRootMixin

User = get_user_model()


class PortalPage(Personas):
    def signed_in(self, user=None):
        self.client.force_login(user or self.resident)
        return self.client

    def post(self, path, data, user=None):
        with self.captureOnCommitCallbacks(execute=True):
            return self.signed_in(user).post(path, data)


class LandingAndSignUpTests(PortalPage):
    def setUp(self):
        super().setUp()
        ratelimit.reset("portal-sign-up:127.0.0.1")

    def assert_nora_signs_in_with_her_first_password(self):
        self.client.logout()
        response = self.client.post(
            "/accounts/login/", {"username": "nora@example.org", "password": "quiet garden 7412"}
        )
        self.assertEqual(response.status_code, 302)

    def test_anonymous_landing_offers_sign_up_and_sign_in(self):
        response = self.client.get("/portal/")
        self.assertContains(response, 'href="/portal/sign-up/"')
        self.assertContains(response, "/accounts/login/")
        self.assertContains(response, 'name="viewport"')

    def test_sign_up_confirm_sign_in(self):
        response = self.client.post(
            "/portal/sign-up/",
            {"email": "Nora@Example.org", "password1": "quiet garden 7412", "password2": "quiet garden 7412"},
        )
        self.assertRedirects(response, "/portal/sign-up/sent/")
        user = User.objects.get(username="nora@example.org")
        self.assertFalse(user.is_active)
        self.assertEqual(len(mail.outbox), 1)
        link = re.search(r"http://testserver(/portal/confirm/\S+/)", mail.outbox[0].body)[1]
        self.assertContains(self.client.get(link), "Confirm my account")
        user.refresh_from_db()
        self.assertFalse(user.is_active, "opening the link alone does not confirm")
        response = self.client.post(link)
        self.assertRedirects(response, "/portal/cameras/new/")
        user.refresh_from_db()
        self.assertTrue(user.is_active)
        self.assert_nora_signs_in_with_her_first_password()

    def test_bad_sign_up_input_gives_clear_errors_and_no_account(self):
        cases = [
            (
                {"email": "not-an-email", "password1": "quiet garden 7412", "password2": "quiet garden 7412"},
                "email",
            ),
            (
                {
                    "email": "a@example.org",
                    "password1": "quiet garden 7412",
                    "password2": "other 7412 garden",
                },
                "differ",
            ),
            ({"email": "a@example.org", "password1": "123", "password2": "123"}, "too short"),
        ]
        for data, text in cases:
            response = self.client.post("/portal/sign-up/", data)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, 'class="error"')
            self.assertIn(text, response.content.decode().lower() if text != "email" else "email")
        self.assertFalse(User.objects.filter(username="a@example.org").exists())

    def test_existing_address_gets_a_reminder_not_a_second_account(self):
        self.client.post(
            "/portal/sign-up/",
            {
                "email": self.resident.email,
                "password1": "quiet garden 7412",
                "password2": "quiet garden 7412",
            },
        )
        self.assertEqual(User.objects.filter(email=self.resident.email).count(), 1)
        self.assertIn("already has an account", mail.outbox[0].body)

    def test_signing_up_again_before_confirming_sends_a_new_link_and_keeps_the_password(self):
        for password in ["quiet garden 7412", "other meadow 5521"]:
            self.client.post(
                "/portal/sign-up/",
                {"email": "nora@example.org", "password1": password, "password2": password},
            )
        self.assertEqual(User.objects.filter(username="nora@example.org").count(), 1)
        self.assertIn("/portal/confirm/", mail.outbox[1].body)
        self.client.post(re.search(r"http://testserver(/portal/confirm/\S+/)", mail.outbox[1].body)[1])
        self.assert_nora_signs_in_with_her_first_password()

    def test_sign_ups_from_one_address_are_limited(self):
        for number in range(11):
            password = "quiet garden 7412"
            response = self.client.post(
                "/portal/sign-up/",
                {"email": f"n{number}@example.org", "password1": password, "password2": password},
            )
        self.assertContains(response, "Too many sign-ups")
        self.assertFalse(User.objects.filter(username="n10@example.org").exists())
        self.assertEqual(len(mail.outbox), 10)

    def test_tampered_confirmation_link_is_refused(self):
        response = self.client.post("/portal/confirm/not-a-token/")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "not valid", status_code=400)

    def test_password_reset_pages_render_and_send_mail(self):
        self.assertContains(self.client.get("/accounts/password_reset/"), "Reset your password")
        response = self.client.post("/accounts/password_reset/", {"email": self.resident.email})
        self.assertRedirects(response, "/accounts/password_reset/done/")
        self.assertEqual(len(mail.outbox), 1)
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
        response = self.client.get(link, follow=True)
        self.assertContains(response, "Choose a new password")
        response = self.client.post(
            response.redirect_chain[-1][0],
            {"new_password1": "fresh meadow 8812", "new_password2": "fresh meadow 8812"},
        )
        self.assertRedirects(response, "/accounts/reset/done/")
        self.assertEqual(
            self.client.post(
                "/accounts/login/", {"username": self.resident.username, "password": "fresh meadow 8812"}
            ).status_code,
            302,
        )

    def test_portal_pages_need_sign_in(self):
        for path in ["/portal/cameras/new/", "/portal/requests/", "/portal/receipts/", "/portal/data/"]:
            response = self.client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertTrue(response["Location"].startswith("/accounts/login/"), path)


class RegisterCameraTests(PortalPage):
    def form(self, **changes):
        data = {
            "name": "Back door",
            "description": "The alley behind the bakery",
            "premises": "business",
            "address": "12 Alley Rd",
            "lat": "41.8802",
            "lon": "-87.6301",
        }
        data.update(changes)
        return data

    def test_register_shares_registry_with_the_agency_covering_the_point(self):
        response = self.post("/portal/cameras/new/", self.form(), user=self.neighbour)
        camera = Camera.objects.get(name="Back door")
        self.assertRedirects(response, f"/portal/cameras/{camera.pk}/")
        self.assertEqual(camera.agency, self.riverside)
        self.assertEqual(camera.owner, self.neighbour)
        self.assertEqual(camera.kind, "private")
        self.assertEqual(camera.premises, "business")
        self.assertEqual(camera.source, "none")
        self.assertEqual(camera.current_consent().level, "registry")

    def test_nearest_agency_centre_wins(self):
        self.post("/portal/cameras/new/", self.form(lat="41.9390", lon="-87.6490"))
        self.assertEqual(Camera.objects.get(name="Back door").agency, self.lakeview)

    def test_point_outside_every_jurisdiction_is_a_readable_error_and_nothing_saved(self):
        response = self.post("/portal/cameras/new/", self.form(lat="48.85", lon="2.35"))
        self.assertContains(response, "No agency in this network covers that location")
        self.assertFalse(Camera.objects.filter(name="Back door").exists())

    def test_missing_or_bad_fields_are_form_errors(self):
        for changes, text in [
            ({"lat": "", "lon": ""}, "Pick the camera"),
            ({"lat": "95"}, "less than or equal to 90"),
            ({"name": ""}, "This field is required"),
            ({"premises": "castle"}, "Select a valid choice"),
        ]:
            response = self.post("/portal/cameras/new/", self.form(**changes))
            self.assertContains(response, text, msg_prefix=str(changes))
        self.assertFalse(Camera.objects.filter(name="Back door").exists())

    def test_form_never_asks_for_a_stream_url(self):
        page = self.signed_in().get("/portal/cameras/new/").content.decode()
        self.assertNotIn("source_url", page)
        self.assertNotIn("rtsp", page.lower())
        self.post("/portal/cameras/new/", self.form(source_url="rtsp://10.0.0.5/stream"))
        camera = Camera.objects.get(name="Back door")
        self.assertEqual(camera.source_url, "")

    def test_a_claimed_device_lets_the_camera_stream(self):
        response = self.post("/portal/cameras/new/", self.form(device=self.device.pk))
        camera = Camera.objects.get(name="Back door")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(camera.device, self.device)
        self.assertEqual(camera.source, "push")

    def test_someone_elses_device_cannot_be_chosen(self):
        response = self.post("/portal/cameras/new/", self.form(device=self.device.pk), user=self.neighbour)
        self.assertContains(response, "Select a valid choice")


class ConsentPageTests(PortalPage):
    def test_page_shows_level_limits_and_history(self):
        response = self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/")
        self.assertContains(response, "Revoke: stop sharing now")
        self.assertContains(response, "America/Chicago")
        self.assertNotContains(response, 'id="live-needs-device"')
        self.assertContains(response, 'id="live-now"')
        response = self.signed_in().get(f"/portal/cameras/{self.registry_camera.pk}/")
        self.assertContains(response, 'id="live-needs-device"')

    def test_weekday_schedule_expiry_and_incident_radius_are_saved(self):
        response = self.post(
            f"/portal/cameras/{self.live_camera.pk}/",
            {
                "level": "live",
                "days": ["0", "1", "2", "3", "4"],
                "start_time": "08:00",
                "end_time": "18:00",
                "expires_on": (timezone.now() + timedelta(days=10)).date().isoformat(),
                "incident_radius_m": "400",
            },
        )
        self.assertRedirects(response, f"/portal/cameras/{self.live_camera.pk}/")
        consent = self.live_camera.current_consent()
        self.assertEqual(consent.schedule, [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}])
        self.assertEqual(consent.incident_radius_m, 400)
        local_expiry = consent.expires_at.astimezone(self.live_camera.tz)
        self.assertEqual(
            (local_expiry.hour, local_expiry.minute), (0, 0), "midnight after the last day, local"
        )
        page = self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/")
        self.assertContains(page, "Mon–Fri 08:00–18:00")
        self.assertContains(page, "only during incidents within 400 m")

    def test_bad_consent_input_is_a_form_error_and_nothing_saved(self):
        before = Consent.objects.count()
        cases = [
            ({"level": "live"}, self.registry_camera, "edge device"),
            ({"level": "on_request", "days": ["0"]}, self.live_camera, "Give both a start and an end"),
            (
                {"level": "on_request", "start_time": "08:00", "end_time": "09:00"},
                self.live_camera,
                "Tick the days",
            ),
            ({"level": "on_request", "expires_on": "2001-01-01"}, self.live_camera, "must be in the future"),
            (
                {"level": "on_request", "incident_radius_m": "3"},
                self.live_camera,
                "greater than or equal to 10",
            ),
            ({"level": "sometimes"}, self.live_camera, "Select a valid choice"),
        ]
        for data, camera, text in cases:
            response = self.post(f"/portal/cameras/{camera.pk}/", data)
            self.assertContains(response, text, msg_prefix=str(data))
        self.assertEqual(Consent.objects.count(), before)

    def test_one_click_revoke(self):
        response = self.post(f"/portal/cameras/{self.live_camera.pk}/revoke/", {})
        self.assertRedirects(response, f"/portal/cameras/{self.live_camera.pk}/")
        self.assertEqual(self.live_camera.current_consent().level, "none")
        self.assertContains(
            self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/"), "Not shared (revoked)"
        )

    def test_revoke_needs_post(self):
        self.assertEqual(
            self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/revoke/").status_code, 405
        )

    def test_another_resident_or_agency_user_gets_404(self):
        for user in [self.neighbour, self.dispatcher, self.admin]:
            for path in ["", "revoke/", "masks/", "delete/", "snapshot.jpg"]:
                client = self.signed_in(user)
                url = f"/portal/cameras/{self.live_camera.pk}/{path}"
                self.assertEqual(client.get(url).status_code, 404 if path != "revoke/" else 405, (user, url))
                response = client.post(url, {"level": "registry", "confirm": "on"})
                self.assertEqual(response.status_code, 404 if path != "snapshot.jpg" else 405, (user, url))
        self.assertEqual(self.live_camera.consents.count(), 1)
        self.assertTrue(Camera.objects.get(pk=self.live_camera.pk).enabled)


class MaskTests(MediaRootMixin, PortalPage):
    def test_masks_replace_the_old_ones_and_the_page_says_it_transcodes(self):
        page = self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/masks/")
        self.assertContains(page, "re-encodes")
        self.assertContains(page, "No picture from this camera yet")
        PrivacyMask.objects.create(camera=self.live_camera, x=0, y=0, width=0.1, height=0.1)
        masks = [
            {"x": 0.5, "y": 0.1, "width": 0.25, "height": 0.3},
            {"x": 0.0, "y": 0.7, "width": 1.0, "height": 0.3},
        ]
        response = self.post(f"/portal/cameras/{self.live_camera.pk}/masks/", {"masks": json.dumps(masks)})
        self.assertRedirects(response, f"/portal/cameras/{self.live_camera.pk}/masks/")
        saved = list(self.live_camera.privacy_masks.values("x", "y", "width", "height"))
        self.assertEqual(saved, masks)

    def test_bad_masks_are_refused_and_old_ones_kept(self):
        PrivacyMask.objects.create(camera=self.live_camera, x=0, y=0, width=0.1, height=0.1)
        for text in [
            "not json",
            json.dumps([{"x": 0.9, "y": 0, "width": -1, "height": 0.2}]),
            json.dumps({"x": 1}),
        ]:
            response = self.post(f"/portal/cameras/{self.live_camera.pk}/masks/", {"masks": text})
            self.assertEqual(response.status_code, 200, text)
            self.assertContains(response, 'class="error"')
        self.assertEqual(self.live_camera.privacy_masks.count(), 1)

    def test_owner_sees_the_latest_snapshot(self):
        path = snapshot_path(self.live_camera.pk)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg")
        page = self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/masks/")
        self.assertContains(page, f"/portal/cameras/{self.live_camera.pk}/snapshot.jpg")
        response = self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/snapshot.jpg")
        self.assertEqual(b"".join(response.streaming_content), b"\xff\xd8\xff\xe0 fake jpeg")
        self.assertEqual(
            self.signed_in(self.neighbour)
            .get(f"/portal/cameras/{self.live_camera.pk}/snapshot.jpg")
            .status_code,
            404,
        )


class ClaimDeviceTests(PortalPage):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.boxed = Device(serial="EDGE-0420", agency=cls.riverside)
        cls.boxed.set_claim_code("K7QX-22PM")
        cls.boxed.save()
        cls.boxed_camera = Camera.objects.create(
            agency=cls.riverside,
            name="Box camera",
            kind=Camera.Kind.UNOWNED,
            source=Camera.Source.PUSH,
            device=cls.boxed,
            lat=cls.riverside.lat,
            lon=cls.riverside.lon,
        )

    def setUp(self):
        super().setUp()

        for key in [
            f"device-claim:user:{self.neighbour.pk}",
            "device-claim:serial:EDGE-0420",
            "device-claim:serial:NOPE-1",
        ]:
            ratelimit.reset(key)

    def test_right_code_claims_the_device_and_its_cameras(self):
        response = self.post(
            "/portal/devices/claim/",
            {"serial": "edge-0420", "claim_code": " k7qx-22pm "},
            user=self.neighbour,
        )
        self.assertRedirects(response, "/portal/")
        self.boxed.refresh_from_db()
        self.assertEqual(self.boxed.owner, self.neighbour)
        self.assertEqual(self.boxed.state, Device.State.CLAIMED)
        self.boxed_camera.refresh_from_db()
        self.assertEqual(self.boxed_camera.owner, self.neighbour)
        self.assertContains(self.signed_in(self.neighbour).get("/portal/"), "Box camera")

    def test_wrong_code_or_unknown_serial_say_the_same_and_change_nothing(self):
        for data in [
            {"serial": "EDGE-0420", "claim_code": "WRONG-000"},
            {"serial": "NOPE-1", "claim_code": "K7QX-22PM"},
        ]:
            response = self.post("/portal/devices/claim/", data, user=self.neighbour)
            self.assertContains(response, "is not right")
        self.boxed.refresh_from_db()
        self.assertIsNone(self.boxed.owner)
        self.assertEqual(
            AccessEvent.objects.filter(outcome=AccessEvent.Outcome.DENIED, actor=self.neighbour).count(), 2
        )

    def test_attempts_are_limited(self):
        for _ in range(5):
            self.post(
                "/portal/devices/claim/", {"serial": "EDGE-0420", "claim_code": "WRONG"}, user=self.neighbour
            )
        response = self.post(
            "/portal/devices/claim/", {"serial": "EDGE-0420", "claim_code": "K7QX-22PM"}, user=self.neighbour
        )
        self.assertContains(response, "Too many wrong attempts")
        self.boxed.refresh_from_db()
        self.assertIsNone(self.boxed.owner)

    def test_a_device_someone_else_claimed_cannot_be_taken(self):
        self.device.set_claim_code("OWNED-1")
        self.device.save()
        response = self.post(
            "/portal/devices/claim/", {"serial": "EDGE-0001", "claim_code": "OWNED-1"}, user=self.neighbour
        )
        self.assertContains(response, "is not right")
        self.device.refresh_from_db()
        self.assertEqual(self.device.owner, self.resident)

    def test_empty_form_is_a_clear_error(self):
        response = self.post("/portal/devices/claim/", {"serial": "", "claim_code": ""}, user=self.neighbour)
        self.assertContains(response, "This field is required")


class RequestsInboxTests(MediaRootMixin, PortalPage):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        start = timezone.now() - timedelta(hours=2)
        cls.shop = make_camera(
            cls.riverside, "Rita's shop", owner=cls.resident, level=Consent.Level.ON_REQUEST
        )
        cls.footage_request = FootageRequest.objects.create(
            agency=cls.riverside,
            requested_by=cls.dispatcher,
            camera=cls.shop,
            start=start,
            end=start + timedelta(minutes=30),
            case_number="RPD-77",
            reason="Hit and run",
        )

    def test_inbox_lists_the_request_and_decline_works(self):
        page = self.signed_in().get("/portal/requests/")
        self.assertContains(page, "case RPD-77")
        self.assertContains(page, "Hit and run")
        response = self.post(f"/portal/requests/{self.footage_request.pk}/answer/", {"answer": "decline"})
        self.assertRedirects(response, "/portal/requests/")
        self.footage_request.refresh_from_db()
        self.assertEqual(self.footage_request.status, "declined")
        self.assertFalse(FootageExport.objects.exists())

    def test_approve_without_recordings_says_so(self):
        response = self.post(f"/portal/requests/{self.footage_request.pk}/answer/", {"answer": "approve"})
        page = self.signed_in().get(response["Location"])
        self.assertContains(page, "no clip was made")

    def test_bad_answer_changes_nothing(self):
        self.post(f"/portal/requests/{self.footage_request.pk}/answer/", {"answer": "later"})
        self.footage_request.refresh_from_db()
        self.assertEqual(self.footage_request.status, "pending")

    def test_other_people_cannot_see_or_answer_it(self):
        for user in [self.neighbour, self.dispatcher]:
            self.assertNotContains(self.signed_in(user).get("/portal/requests/"), "RPD-77")
            response = self.post(
                f"/portal/requests/{self.footage_request.pk}/answer/", {"answer": "approve"}, user=user
            )
            self.assertEqual(response.status_code, 404)
        self.footage_request.refresh_from_db()
        self.assertEqual(self.footage_request.status, "pending")


class ReceiptsTests(PortalPage):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        now = timezone.now()
        ViewingSession.objects.create(
            user=cls.dispatcher,
            agency=cls.riverside,
            camera=cls.live_camera,
            purpose="Shots fired on 1st",
            case_number="RPD-9",
            started_at=now - timedelta(minutes=20, microseconds=236728),
            expires_at=now + timedelta(minutes=40),
            ended_at=now - timedelta(minutes=5),
        )
        AccessEvent.objects.create(
            actor=cls.dispatcher,
            actor_name=cls.dispatcher.username,
            agency=cls.riverside,
            action=AccessEvent.Action.LIVE_URL,
            target_type="camera",
            target_id=str(cls.live_camera.pk),
            purpose="Shots fired on 1st",
            case_number="RPD-9",
        )
        AccessEvent.objects.create(
            agency=cls.riverside,
            action=AccessEvent.Action.LIVE_URL,
            target_type="camera",
            target_id=str(cls.revoked_camera.pk),
            purpose="Seen from the bakery",
        )

    def test_owner_sees_agency_purpose_times_and_duration_but_not_officer_names(self):
        page = self.signed_in().get("/portal/receipts/")
        self.assertContains(page, "Shots fired on 1st")
        self.assertContains(page, "RPD-9")
        self.assertContains(page, "Riverside PD")
        self.assertContains(page, "<td>15 min</td>", html=False)
        self.assertNotContains(page, ".236728")
        self.assertContains(page, "Issued a live URL")
        self.assertNotContains(page, self.dispatcher.username)
        self.assertNotContains(page, "Seen from the bakery")

    def test_neighbour_does_not_see_my_receipts(self):
        page = self.signed_in(self.neighbour).get("/portal/receipts/")
        self.assertNotContains(page, "Shots fired on 1st")
        self.assertContains(page, "Seen from the bakery")


class DataRightsTests(MediaRootMixin, PortalPage):
    def make_footage(self, camera, *, delivered):
        start = timezone.now() - timedelta(hours=3)
        footage_request = FootageRequest.objects.create(
            agency=self.riverside,
            requested_by=self.dispatcher,
            camera=camera,
            start=start,
            end=start + timedelta(minutes=20),
            case_number=f"RPD-{camera.pk}-{delivered}",
            reason="r",
            status=FootageRequest.Status.APPROVED,
        )
        path = self.media_root / "exports" / str(camera.pk) / f"request-{footage_request.pk}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"clip")
        FootageExport.objects.create(
            request=footage_request,
            camera=camera,
            file_path=str(path.relative_to(self.media_root)),
            sha256="0" * 64,
            size=4,
            manifest={},
            delivered=delivered,
        )
        return path

    def footage_files(self, camera):
        recordings = recordings_dir(camera.pk)
        recordings.mkdir(parents=True, exist_ok=True)
        (recordings / "20261123T100000Z.ts").write_bytes(b"ts")
        snapshot = snapshot_path(camera.pk)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        snapshot.write_bytes(b"jpg")
        return recordings, snapshot

    def test_download_all_my_data_as_json(self):
        response = self.signed_in().get("/portal/data/export.json")
        self.assertEqual(response["Content-Type"], "application/json")
        document = json.loads(response.content)
        self.assertEqual(document["account"]["username"], self.resident.username)
        self.assertEqual(
            {camera["name"] for camera in document["cameras"]}, {"Rita's porch", "Rita's garage"}
        )
        self.assertEqual(document["devices"][0]["serial"], "EDGE-0001")
        self.assertIn("consents", document["cameras"][0])
        self.assertNotIn("Ned's yard", response.content.decode())

    def test_delete_a_camera_revokes_erases_and_keeps_delivered_clips(self):
        recordings, snapshot = self.footage_files(self.live_camera)
        kept = self.make_footage(self.live_camera, delivered=True)
        erased = self.make_footage(self.live_camera, delivered=False)
        self.assertContains(
            self.signed_in().get(f"/portal/cameras/{self.live_camera.pk}/delete/"), "delivered"
        )
        response = self.post(f"/portal/cameras/{self.live_camera.pk}/delete/", {})
        self.assertContains(response, "This field is required")
        self.assertTrue(recordings.exists())
        response = self.post(f"/portal/cameras/{self.live_camera.pk}/delete/", {"confirm": "on"})
        self.assertRedirects(response, "/portal/")
        camera = Camera.objects.get(pk=self.live_camera.pk)
        self.assertIsNone(camera.owner)
        self.assertFalse(camera.enabled)
        self.assertNotIn("Rita", camera.name)
        self.assertEqual(camera.current_consent().level, "none")
        self.assertFalse(recordings.exists())
        self.assertFalse(snapshot.exists())
        self.assertTrue(kept.exists())
        self.assertFalse(erased.exists())
        deletion = AccessEvent.objects.get(action=AccessEvent.Action.DELETION, target_id=str(camera.pk))
        self.assertEqual(deletion.detail["name"], "Rita's porch")
        self.assertNotContains(self.signed_in().get("/portal/"), "Rita's porch")

    def test_delete_account_needs_the_password_then_erases_everything(self):
        recordings, _ = self.footage_files(self.registry_camera)
        response = self.post("/portal/data/", {"password": "wrong"})
        self.assertContains(response, "not your password")
        self.assertTrue(User.objects.filter(pk=self.resident.pk).exists())
        response = self.post("/portal/data/", {"password": PASSWORD})
        self.assertContains(response, "Your account is deleted")
        self.assertFalse(User.objects.filter(pk=self.resident.pk).exists())
        self.assertFalse(recordings.exists())
        self.assertFalse(Camera.objects.filter(owner__isnull=False, name__startswith="Rita").exists())
        self.device.refresh_from_db()
        self.assertIsNone(self.device.owner)
        for camera in [self.live_camera, self.registry_camera]:
            self.assertEqual(Camera.objects.get(pk=camera.pk).current_consent().level, "none")
            # A tombstone has no owner, so it is not private; nor is it the agency's.
            self.assertEqual(Camera.objects.get(pk=camera.pk).kind, Camera.Kind.UNOWNED)
        self.assertTrue(AccessEvent.objects.filter(action="deletion", detail__deleted="account").exists())
        self.assertEqual(self.client.get("/portal/data/").status_code, 302, "signed out")

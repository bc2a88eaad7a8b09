from datetime import timedelta

from django.utils import timezone

from agencies.models import AccessEvent
from cameras.consent import why_consent_refuses
from cameras.models import Consent
from cameras.services import consent_changed
from tests.personas import Personas


class PortalCameraListTests(Personas):
    def test_resident_lists_own_cameras_with_consent_and_history(self):
        response = self.api(self.resident).get("/api/v1/portal/cameras/")
        self.assertEqual(response.status_code, 200)
        rows = {row["name"]: row for row in response.json()["results"]}
        self.assertEqual(set(rows), {"Rita's porch", "Rita's garage"})
        self.assertEqual(rows["Rita's porch"]["consent"]["level"], "live")
        self.assertTrue(rows["Rita's porch"]["can_stream_live"])
        self.assertFalse(rows["Rita's garage"]["can_stream_live"])
        self.assertEqual(len(rows["Rita's garage"]["consent_history"]), 1)
        self.assertNotIn("srt_passphrase", rows["Rita's porch"])
        self.assertNotIn("stream_id", rows["Rita's porch"])

    def test_agency_staff_own_no_cameras_here(self):
        for user in [self.dispatcher, self.admin, self.outsider]:
            self.assertEqual(self.api(user).get("/api/v1/portal/cameras/").json()["results"], [], user)

    def test_anonymous_is_401(self):
        self.assertEqual(self.api().get("/api/v1/portal/cameras/").status_code, 401)

    def test_list_query_count_does_not_grow_with_cameras(self):
        client = self.api(self.resident)
        client.get("/api/v1/portal/cameras/")
        with self.assertNumQueries(4):
            client.get("/api/v1/portal/cameras/")


class PortalConsentTests(Personas):
    def put(self, camera, body, user=None):
        with self.captureOnCommitCallbacks(execute=True):
            return self.api(user or self.resident).put(
                f"/api/v1/portal/cameras/{camera.pk}/consent/", body, format="json"
            )

    def test_set_on_request_with_schedule_expiry_and_radius(self):
        expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
        body = {
            "level": "live",
            "schedule": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}],
            "expires_at": expires.isoformat(),
            "incident_radius_m": 500,
        }
        response = self.put(self.live_camera, body)
        self.assertEqual(response.status_code, 200, response.content)
        consent = self.live_camera.current_consent()
        self.assertEqual(consent.level, "live")
        self.assertEqual(consent.schedule, body["schedule"])
        self.assertEqual(consent.expires_at, expires)
        self.assertEqual(consent.incident_radius_m, 500)
        self.assertEqual(consent.set_by, self.resident)
        self.assertTrue(
            AccessEvent.objects.filter(
                action=AccessEvent.Action.CONSENT_CHANGE, target_id=str(self.live_camera.pk)
            ).exists()
        )

    def test_change_is_announced_after_commit(self):
        heard = []

        def listener(sender, camera_id, consent, **kwargs):
            heard.append((camera_id, consent.level))

        consent_changed.connect(listener)
        self.addCleanup(consent_changed.disconnect, listener)
        self.put(self.registry_camera, {"level": "on_request"})
        self.assertEqual(heard, [(self.registry_camera.pk, "on_request")])

    def test_live_without_a_device_is_400_and_nothing_is_saved(self):
        before = self.registry_camera.consents.count()
        response = self.put(self.registry_camera, {"level": "live"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("edge device", response.json()["level"][0])
        self.assertEqual(self.registry_camera.consents.count(), before)

    def test_bad_inputs_are_400_naming_the_field(self):
        cases = [
            ({"level": "everything"}, "level"),
            ({}, "level"),
            (
                {"level": "on_request", "schedule": [{"days": [9], "start": "08:00", "end": "18:00"}]},
                "schedule",
            ),
            ({"level": "on_request", "schedule": "weekdays"}, "schedule"),
            ({"level": "on_request", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
            ({"level": "on_request", "expires_at": "soon"}, "expires_at"),
            ({"level": "live", "incident_radius_m": 5}, "incident_radius_m"),
        ]
        before = Consent.objects.count()
        for body, field in cases:
            response = self.put(self.live_camera, body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(field, response.json(), body)
        self.assertEqual(Consent.objects.count(), before)

    def test_delete_revokes_at_once(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.api(self.resident).delete(
                f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/"
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["level"], "none")
        self.assertEqual(self.live_camera.current_consent().level, "none")
        refusal = why_consent_refuses(
            self.live_camera, self.live_camera.current_consent(), [], timezone.now()
        )
        self.assertEqual(refusal, "The owner does not share this camera live.")

    def test_another_resident_cannot_read_or_change_my_camera(self):
        for method in ["get", "put", "delete"]:
            client = self.api(self.neighbour)
            path = f"/api/v1/portal/cameras/{self.live_camera.pk}/"
            if method != "get":
                path += "consent/"
            response = getattr(client, method)(path, {"level": "registry"}, format="json")
            self.assertEqual(response.status_code, 404, method)
        self.assertEqual(self.live_camera.current_consent().level, "live")

    def test_agency_users_cannot_act_for_a_resident(self):
        for user in [self.dispatcher, self.admin, self.outsider]:
            response = self.api(user).put(
                f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/", {"level": "live"}, format="json"
            )
            self.assertIn(response.status_code, {403, 404}, user)
            response = self.api(user).delete(f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/")
            self.assertIn(response.status_code, {403, 404}, user)
        self.assertEqual(self.live_camera.consents.count(), 1)

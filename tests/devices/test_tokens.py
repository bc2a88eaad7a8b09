"""Device tokens: stored hashed, rotated on request or yearly, revoked by the agency and then refused."""

from datetime import timedelta

from django.utils import timezone

from agencies.models import AccessEvent
from devices.models import Device, hash_token
from tests.devices.test_enrollment_api import EnrollmentCase
from tests.personas import make_agency_admin, run_admin_action


class TokenTests(EnrollmentCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.lakeview_admin = make_agency_admin("larry-lakeview-admin", cls.lakeview)

    def test_only_the_tokens_hash_is_stored(self):
        token = self.enroll().json()["device_token"]
        self.box.refresh_from_db()
        self.assertEqual(self.box.token_hash, hash_token(token))
        self.assertNotIn(token, str(Device.objects.filter(pk=self.box.pk).values().get()))

    def test_revoked_token_is_refused_and_the_box_cannot_enroll_again_until_given_a_new_code(self):
        token = self.enroll().json()["device_token"]
        response = self.api(self.admin).post(f"/api/v1/devices/{self.box.pk}/revoke-token/")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["token"], "revoked")
        refused = self.heartbeat(token)
        self.assertEqual(refused.status_code, 401)
        self.assertIn("revoked", refused.json()["detail"])
        again = self.enroll()
        self.assertEqual(again.status_code, 403)
        self.assertIn("new claim code", again.json()["detail"])
        self.assertTrue(
            AccessEvent.objects.filter(actor=self.admin, detail__change="device_token_revoked").exists()
        )
        # The agency re-admits the box with a fresh code from the admin.
        self.client.force_login(self.admin)
        sheet = self.client.post(
            "/admin/devices/device/", {"action": "issue_claim_codes", "_selected_action": [self.box.pk]}
        )
        code = sheet.content.decode().split('<dd class="claim-code">')[1].split("<")[0]
        self.assertEqual(self.enroll(code="K7Q2-M9XP").status_code, 403)
        self.assertEqual(self.enroll(code=code).status_code, 201)

    def test_revoke_from_the_admin_action(self):
        token = self.enroll().json()["device_token"]
        self.client.force_login(self.admin)
        response = run_admin_action(self.client, "/admin/devices/device/", "revoke_tokens", self.box.pk)
        self.assertContains(response, "1 device(s) revoked")
        self.assertEqual(self.heartbeat(token).status_code, 401)

    def test_rotation_hands_the_new_token_to_the_box_at_its_next_heartbeat(self):
        old = self.enroll().json()["device_token"]
        self.assertNotIn("device_token", self.heartbeat(old).json())
        self.client.force_login(self.admin)
        self.client.post(
            "/admin/devices/device/", {"action": "rotate_tokens", "_selected_action": [self.box.pk]}
        )
        answer = self.heartbeat(old).json()
        new = answer["device_token"]
        self.assertNotEqual(new, old)
        self.assertEqual(self.heartbeat(old).status_code, 401)
        second = self.heartbeat(new)
        self.assertEqual(second.status_code, 200)
        self.assertNotIn("device_token", second.json())
        changes = list(
            AccessEvent.objects.filter(detail__change__startswith="device_token")
            .order_by("pk")
            .values_list("detail__change", flat=True)
        )
        self.assertEqual(changes, ["device_token_rotation_requested", "device_token_rotated"])

    def test_rotation_through_the_api_and_tenancy(self):
        token = self.enroll().json()["device_token"]
        self.assertEqual(
            self.api(self.lakeview_admin).post(f"/api/v1/devices/{self.box.pk}/rotate-token/").status_code,
            404,
        )
        self.assertEqual(
            self.api(self.lakeview_admin).post(f"/api/v1/devices/{self.box.pk}/revoke-token/").status_code,
            404,
        )
        self.assertEqual(
            self.api(self.dispatcher).post(f"/api/v1/devices/{self.box.pk}/rotate-token/").status_code, 403
        )
        self.assertEqual(self.heartbeat(token).status_code, 200)  # none of those touched it
        response = self.api(self.admin).post(f"/api/v1/devices/{self.box.pk}/rotate-token/")
        self.assertEqual(response.status_code, 202)
        self.assertEqual(response.json()["token"], "rotation_requested")
        self.assertIn("device_token", self.heartbeat(token).json())

    def test_a_box_without_a_token_has_nothing_to_rotate(self):
        response = self.api(self.admin).post(f"/api/v1/devices/{self.box.pk}/rotate-token/")
        self.assertEqual(response.status_code, 400)
        self.assertIn("no token to rotate", str(response.json()))

    def test_a_year_old_token_is_rotated_at_the_next_heartbeat(self):
        old = self.enroll().json()["device_token"]
        Device.objects.filter(pk=self.box.pk).update(token_issued_at=timezone.now() - timedelta(days=366))
        new = self.heartbeat(old).json()["device_token"]
        self.assertEqual(self.heartbeat(new).status_code, 200)
        self.assertEqual(self.heartbeat(old).status_code, 401)

    def test_a_retired_box_is_refused(self):
        token = self.enroll().json()["device_token"]
        self.client.force_login(self.admin)
        self.client.post(
            "/admin/devices/device/", {"action": "retire_devices", "_selected_action": [self.box.pk]}
        )
        self.assertEqual(self.heartbeat(token).status_code, 401)
        self.assertEqual(self.enroll().status_code, 403)

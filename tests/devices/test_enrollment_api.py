from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import Contract, Package
from cameras.relay.models import RelayLease, RelayNode
from devices.enrollment import NOT_RELAYED
from devices.models import Device
from tests.personas import Personas


class EnrollmentCase(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.box = Device.objects.create(
            serial="EDGE-7000", owner=cls.resident, agency=cls.riverside, state=Device.State.CLAIMED
        )
        cls.box.set_claim_code("K7Q2-M9XP")
        cls.box.save()

    def enroll(self, serial="EDGE-7000", code="K7Q2-M9XP"):
        return self.api().post(
            "/api/v1/devices/enroll/",
            {"serial": serial, "claim_code": code, "firmware_version": "1.2.0"},
            format="json",
        )

    def heartbeat(self, token, body=None):
        client = self.api()
        client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
        return client.post("/api/v1/devices/heartbeat/", body or {}, format="json")


class EnrollmentTests(EnrollmentCase):
    def test_enroll_then_heartbeat_lists_the_devices_cameras(self):
        response = self.enroll()
        self.assertEqual(response.status_code, 201, response.content)
        token = response.json()["device_token"]
        self.live_camera.device = self.box
        self.live_camera.save(update_fields=["device"])
        answer = self.heartbeat(token, {"firmware_version": "1.2.1"})
        self.assertEqual(answer.status_code, 200, answer.content)
        [camera] = answer.json()["cameras"]
        self.assertEqual(camera["stream_id"], self.live_camera.stream_id)
        self.assertEqual((camera["push"], camera["refusal"]), (None, "The agency has no active contract."))
        self.box.refresh_from_db()
        self.assertEqual((self.box.state, self.box.firmware_version), ("online", "1.2.1"))
        self.assertLess((timezone.now() - self.box.last_heartbeat_at).total_seconds(), 5)
        self.assertEqual(self.box.state, Device.State.ONLINE)

    def test_wrong_code_and_unknown_serial_get_the_same_403(self):
        wrong, unknown = self.enroll(code="AAAA-BBBB"), self.enroll(serial="NOPE")
        self.assertEqual((wrong.status_code, unknown.status_code), (403, 403))
        self.assertEqual(wrong.json(), unknown.json())
        self.box.refresh_from_db()
        self.assertIsNone(self.box.token_hash)

    def test_enrolling_again_revokes_the_old_token(self):
        first = self.enroll().json()["device_token"]
        second = self.enroll().json()["device_token"]
        self.assertEqual(self.heartbeat(first).status_code, 401)
        self.assertEqual(self.heartbeat(second).status_code, 200)

    def test_retired_device_cannot_enroll(self):
        Device.objects.filter(pk=self.box.pk).update(state=Device.State.RETIRED)
        response = self.enroll()
        self.assertEqual(response.status_code, 403)
        self.assertIn("retired", response.json()["detail"])

    def test_heartbeat_needs_a_device_token(self):
        self.assertEqual(self.heartbeat("made-up").status_code, 401)
        response = self.api(self.dispatcher).post("/api/v1/devices/heartbeat/", {}, format="json")
        self.assertEqual(response.status_code, 401)
        self.assertIn("Device", response.json()["detail"] + response["WWW-Authenticate"])

    def test_malformed_enrollment_is_a_400_naming_the_fields(self):
        response = self.api().post("/api/v1/devices/enroll/", {"serial": ""}, format="json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"serial", "claim_code"})


class HeartbeatPushTargetTests(EnrollmentCase):
    def test_a_camera_that_may_stream_gets_its_push_target_while_a_node_listens(self):
        package = Package.objects.create(slug="live", name="Live", price_per_device_year=Decimal("750"))
        today = timezone.localdate()
        Contract.objects.create(
            agency=self.riverside,
            package=package,
            reference="C-1",
            starts_on=today.replace(day=1),
            ends_on=today.replace(year=today.year + 1),
            device_quota=5,
            price_per_device_year=Decimal("700"),
            status=Contract.Status.ACTIVE,
        )
        self.live_camera.device = self.box
        self.live_camera.save(update_fields=["device"])
        self.registry_camera.device = self.box
        self.registry_camera.save(update_fields=["device"])
        token = self.enroll().json()["device_token"]
        cameras = {c["id"]: c for c in self.heartbeat(token).json()["cameras"]}
        self.assertIsNone(cameras[self.live_camera.pk]["push"])
        self.assertEqual(cameras[self.live_camera.pk]["refusal"], NOT_RELAYED)

        node = RelayNode.objects.create(name="relay1", srt_host="10.0.0.7")
        now = timezone.now()
        RelayLease.objects.create(
            camera=self.live_camera,
            node=node,
            acquired_at=now,
            expires_at=now + timedelta(seconds=15),
            srt_port=20001,
        )
        cameras = {c["id"]: c for c in self.heartbeat(token).json()["cameras"]}
        push = cameras[self.live_camera.pk]["push"]
        self.assertEqual(push["passphrase"], self.live_camera.srt_passphrase)
        self.assertEqual(push["host"], "10.0.0.7")
        self.assertEqual(push["port"], 20001)
        self.assertIsNone(cameras[self.registry_camera.pk]["push"])
        self.assertEqual(
            cameras[self.registry_camera.pk]["refusal"], "The owner does not share this camera live."
        )

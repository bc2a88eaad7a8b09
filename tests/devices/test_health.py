"""Boxes report their health; one that misses two heartbeats is offline, and its people are told."""

from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.utils import timezone

from agencies.models import AccessEvent
from cameras.models import Camera, PrivacyMask
from cameras.relay.models import RelayLease, RelayNode
from cameras.services import cameras_access_changed
from cameras.wall.services import camera_states
from devices.health import GRACE_S
from devices.management.commands.simulate_heartbeats import SIMULATED_AGENT
from devices.management.commands.simulate_heartbeats import Command as SimulatedHeartbeats
from devices.models import Device
from devices.tasks import mark_offline_devices
from tests.devices.test_enrollment_api import EnrollmentCase
from tests.personas import make_agency_admin
from tests.relay_fleet.fleet import give_active_contract


class HealthCase(EnrollmentCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.second_admin = make_agency_admin("amy-admin", cls.riverside)
        cls.live_camera.device = cls.box
        cls.live_camera.save(update_fields=["device"])

    def enrolled_token(self):
        return self.enroll().json()["device_token"]

    def age_heartbeat(self, seconds):
        Device.objects.filter(pk=self.box.pk).update(
            last_heartbeat_at=timezone.now() - timedelta(seconds=seconds)
        )


class HeartbeatHealthTests(HealthCase):
    def test_agent_version_and_camera_health_are_stored_and_shown(self):
        report = {
            "agent_version": "0.2.0",
            "cameras": [
                {
                    "id": self.live_camera.pk,
                    "frames": 900,
                    "bitrate_kbps": 1850.5,
                    "errors": 2,
                    "last_error": "<b>timeout</b>",
                }
            ],
        }
        self.assertEqual(self.heartbeat(self.enrolled_token(), report).status_code, 200)
        self.box.refresh_from_db()
        self.assertEqual(self.box.agent_version, "0.2.0")
        health = self.box.camera_health[str(self.live_camera.pk)]
        self.assertEqual((health["frames"], health["bitrate_kbps"], health["errors"]), (900, 1850.5, 2))
        # The owner sees it in the portal, the agency admin in the admin; the device's text is data.
        self.client.force_login(self.resident)
        page = self.client.get("/portal/devices/")
        self.assertContains(page, "EDGE-7000")
        self.assertContains(page, "agent 0.2.0")
        self.assertContains(page, "1850.5")
        self.assertContains(page, "&lt;b&gt;timeout&lt;/b&gt;")
        self.assertContains(page, "Rita&#x27;s porch")
        self.client.force_login(self.admin)
        change = self.client.get(f"/admin/devices/device/{self.box.pk}/change/")
        self.assertContains(change, "<td>900</td>")
        self.assertContains(change, "&lt;b&gt;timeout&lt;/b&gt;")
        listing = self.client.get("/admin/devices/device/")
        self.assertContains(listing, "0\xa0minutes ago")
        self.assertContains(listing, "0.2.0")

    def test_the_box_says_which_cameras_have_a_substream_and_the_orders_name_its_port(self):
        token = self.enrolled_token()
        camera = self.live_camera
        report = {"cameras": [{"id": camera.pk, "substream": True}]}
        self.assertEqual(self.heartbeat(token, report).status_code, 200)
        self.assertTrue(Camera.objects.get(pk=camera.pk).substream)
        give_active_contract(self.riverside, "C-1")
        node = RelayNode.objects.create(name="n1", srt_host="relay.example")
        lease = RelayLease.objects.create(
            camera=camera, node=node, expires_at=timezone.now() + timedelta(minutes=1), srt_port=27501
        )
        answer = self.heartbeat(token).json()["cameras"][0]
        pushed = answer["push"]
        self.assertIsNotNone(pushed, answer)
        self.assertNotIn("sub", pushed)  # nobody watches it in a grid tile: the node does not listen
        RelayLease.objects.filter(pk=lease.pk).update(sub_srt_port=27502)
        pushed = self.heartbeat(token).json()["cameras"][0]["push"]
        self.assertEqual(
            pushed["sub"], {"host": "relay.example", "port": 27502, "stream_id": f"{camera.stream_id}.sub"}
        )
        report = {"cameras": [{"id": camera.pk, "substream": False}]}
        self.assertEqual(self.heartbeat(token, report).status_code, 200)
        self.assertFalse(Camera.objects.get(pk=camera.pk).substream)
        self.assertNotIn("sub", self.heartbeat(token).json()["cameras"][0]["push"])

    def test_a_substream_said_or_unsaid_is_told_to_the_walls_and_a_masked_camera_offers_none(self):
        token = self.enrolled_token()
        camera = self.live_camera
        Camera.objects.filter(pk=camera.pk).update(source=Camera.Source.PUSH, source_url="")
        told = []

        def tell(sender, camera_ids, **kwargs):
            told.append(list(camera_ids))

        cameras_access_changed.connect(tell, dispatch_uid="test-substream-told")
        self.addCleanup(cameras_access_changed.disconnect, dispatch_uid="test-substream-told")
        report = {"cameras": [{"id": camera.pk, "substream": True}]}
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(self.heartbeat(token, report).status_code, 200)
        self.assertEqual(told, [[camera.pk]])
        with self.captureOnCommitCallbacks(execute=True):
            self.heartbeat(token, report)  # said again: nothing changed, nothing told
        self.assertEqual(told, [[camera.pk]])
        [state] = camera_states(self.admin, [camera.pk])
        self.assertTrue(state["substream"])
        PrivacyMask.objects.create(camera=camera, x=0.1, y=0.1, width=0.2, height=0.2)
        [state] = camera_states(self.admin, [camera.pk])
        self.assertFalse(state["substream"], "a masked camera's substream is never relayed")
        report = {"cameras": [{"id": camera.pk, "substream": False}]}
        with self.captureOnCommitCallbacks(execute=True):
            self.heartbeat(token, report)
        self.assertEqual(told, [[camera.pk], [camera.pk]])

    def test_health_for_a_camera_not_on_the_box_or_malformed_is_a_400(self):
        token = self.enrolled_token()
        cases = [
            ({"cameras": [{"id": self.street_camera.pk, "frames": 1}]}, "Not cameras of this device"),
            ({"cameras": [{"id": self.live_camera.pk, "frames": -1}]}, "greater than or equal to 0"),
            ({"cameras": [{"id": self.live_camera.pk}] * 31}, "30"),
            ({"cameras": "all fine"}, "list"),
            ({"agent_version": "x" * 33}, "32"),
        ]
        for body, reason in cases:
            with self.subTest(reason):
                response = self.heartbeat(token, body)
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(reason, response.content.decode())
        self.box.refresh_from_db()
        self.assertEqual(self.box.camera_health, {})

    def test_last_heartbeat_says_never_for_stock_and_not_yet_for_a_claimed_box(self):
        Device.objects.create(serial="RPD-STOCK", agency=self.riverside)
        self.client.force_login(self.admin)
        listing = self.client.get("/admin/devices/device/").content.decode()
        self.assertIn("never", listing)
        self.assertIn("not yet", listing)  # EDGE-7000, claimed and not enrolled


class OfflineTests(HealthCase):
    def test_two_missed_heartbeats_make_the_box_offline_and_mail_owner_and_admins_once(self):
        self.enrolled_token()
        self.age_heartbeat(59)
        self.assertEqual(mark_offline_devices(), 0)  # one heartbeat missed: not yet
        self.age_heartbeat(60 + GRACE_S + 1)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(mark_offline_devices.apply().get(), 1)
        self.box.refresh_from_db()
        self.assertEqual(self.box.state, Device.State.OFFLINE)
        [message] = mail.outbox
        self.assertEqual(message.subject, "Edge device EDGE-7000 is offline")
        self.assertEqual(
            sorted(message.to), sorted([self.resident.email, self.admin.email, self.second_admin.email])
        )
        self.assertIn("Rita's porch", message.body)
        line = AccessEvent.objects.get(detail__change="device_state", detail__to="offline")
        self.assertEqual((line.agency, line.actor), (self.riverside, None))
        # Idempotent: a second sweep finds nothing new and sends nothing.
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(mark_offline_devices(), 0)
        self.assertEqual(len(mail.outbox), 1)
        # The admin's list carries the notice.
        self.client.force_login(self.admin)
        self.assertContains(
            self.client.get("/admin/devices/device/"), "Offline (missed two heartbeats or more): EDGE-7000"
        )
        self.client.force_login(self.resident)
        self.assertContains(self.client.get("/portal/devices/"), "has stopped reporting")

    def test_a_mail_server_down_is_logged_and_every_late_box_still_marked(self):
        self.enrolled_token()
        other = Device.objects.create(
            serial="RPD-OTHER",
            agency=self.riverside,
            state=Device.State.ONLINE,
            last_heartbeat_at=timezone.now(),
        )
        Device.objects.filter(pk__in=[self.box.pk, other.pk]).update(
            last_heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        with self.settings(EMAIL_BACKEND="tests.devices.unreachable_mail.UnreachableBackend"):
            with self.assertLogs("devices.health", "ERROR"), self.captureOnCommitCallbacks(execute=True):
                self.assertEqual(mark_offline_devices(), 2)
        self.assertEqual(
            set(Device.objects.filter(state="offline").values_list("serial", flat=True)),
            {"EDGE-7000", "RPD-OTHER"},
        )

    def test_a_heartbeat_brings_the_box_back_online(self):
        token = self.enrolled_token()
        self.age_heartbeat(600)
        with self.captureOnCommitCallbacks(execute=True):
            mark_offline_devices()
        self.assertEqual(self.heartbeat(token).status_code, 200)
        self.box.refresh_from_db()
        self.assertEqual(self.box.state, Device.State.ONLINE)
        self.assertTrue(
            AccessEvent.objects.filter(
                detail__change="device_state", detail__from="offline", detail__to="online"
            ).exists()
        )

    def test_boxes_never_enrolled_or_retired_are_not_reported(self):
        Device.objects.create(serial="RPD-STOCK", agency=self.riverside)
        Device.objects.create(
            serial="RPD-GONE",
            agency=self.riverside,
            state=Device.State.RETIRED,
            last_heartbeat_at=timezone.now() - timedelta(days=3),
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(mark_offline_devices(), 0)
        self.assertEqual(mail.outbox, [])

    def test_the_sweep_is_on_the_beat_schedule(self):
        tasks = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        self.assertLessEqual(tasks["devices.tasks.mark_offline_devices"], 30)


class SimulatedBoxTests(HealthCase):
    def test_the_demos_boxes_heartbeat_so_their_last_heartbeat_shows(self):
        Device.objects.filter(pk=self.device.pk).update(last_heartbeat_at=None)
        beats = SimulatedHeartbeats().beat(["EDGE-0001", "NOT-A-BOX"])
        self.assertEqual(beats, 1)
        self.device.refresh_from_db()
        self.assertIsNotNone(self.device.last_heartbeat_at)
        self.assertEqual(self.device.agent_version, SIMULATED_AGENT)
        self.assertEqual(self.device.state, Device.State.ONLINE)
        self.client.force_login(self.admin)
        self.assertNotContains(self.client.get(f"/admin/devices/device/{self.device.pk}/change/"), "not yet")

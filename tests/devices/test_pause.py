"""The owner's pause in the portal: only the owner presses it, every page says so, and no agency
user lifts it; a pause made on the box is lifted only on the box."""

from cameras.models import Camera
from cameras.relay.desired import desired_cameras
from cameras.relay.status import PAUSED_REASON
from devices.models import Device
from devices.pause import FROM_BOX, do_pause_device
from tests.devices.test_health import HealthCase


class PortalPauseTests(HealthCase):
    def switch(self, user, action: str):
        self.client.force_login(user)
        return self.client.post(f"/portal/devices/{self.box.serial}/{action}/", follow=True)

    def test_the_owner_pauses_in_the_portal_and_every_page_says_so(self):
        page = self.switch(self.resident, "pause")
        self.assertContains(page, "is paused: it sends nothing until you resume it")
        self.assertContains(page, "Resume sending")
        box = Device.objects.get(pk=self.box.pk)
        self.assertEqual(box.paused_from, "portal")
        camera = Camera.objects.get(pk=self.live_camera.pk)
        self.assertEqual((camera.status, camera.status_reason), ("offline", PAUSED_REASON))
        self.assertNotIn(camera.pk, desired_cameras(demanded={camera.pk}))
        response = self.api(self.dispatcher).get(f"/api/v1/cameras/{camera.pk}/")
        self.assertEqual(response.json()["status_reason"], PAUSED_REASON)

        self.client.force_login(self.admin)
        self.assertContains(self.client.get("/admin/devices/device/"), "Paused by its owner in the portal")

        self.switch(self.resident, "resume")
        self.assertIsNone(Device.objects.get(pk=self.box.pk).paused_at)

    def test_nobody_but_the_owner_can_press_it(self):
        for user in (self.admin, self.dispatcher):
            self.assertEqual(self.switch(user, "pause").status_code, 404)
        self.assertIsNone(Device.objects.get(pk=self.box.pk).paused_at)
        self.client.force_login(self.resident)
        self.assertEqual(self.client.get(f"/portal/devices/{self.box.serial}/pause/").status_code, 405)

    def test_a_pause_made_on_the_box_is_not_lifted_from_the_portal(self):
        do_pause_device(self.box, FROM_BOX)
        page = self.switch(self.resident, "resume")
        self.assertContains(page, "paused on the box itself")
        self.assertNotContains(page, "Resume sending")
        self.assertEqual(Device.objects.get(pk=self.box.pk).paused_from, "box")

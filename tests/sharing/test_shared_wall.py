"""The receiving agency's wall shows a shared camera with its status, and drops it when the share ends."""

from datetime import timedelta

from asgiref.sync import sync_to_async
from django.utils import timezone

from cameras.relay.status import do_set_camera_status
from cameras.sharing.services import do_revoke_share, do_share_cameras
from tests.wall.fixtures import WallPersonas, WallSockets

TIMEOUT = 10


class SharedWallTests(WallSockets, WallPersonas):
    async def connected_showing(self, user):
        socket, state = await self.connected(user)
        return socket, {camera["id"] for camera in state["cameras"]}

    def share(self):
        return do_share_cameras(
            self.admin, self.riverside, self.lakeview, [self.street_camera.pk],
            ends_at=timezone.now() + timedelta(hours=2), purpose="Parade", authority="Mutual aid 4",
        )  # fmt: skip

    async def test_a_shared_camera_joins_the_other_wall_with_its_status_and_leaves_on_revocation(self):
        wall, shown = await self.connected_showing(self.outsider)
        self.assertNotIn(self.street_camera.pk, shown)
        share = await sync_to_async(self.share)()
        added = await wall.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((added["type"], added["camera"]["id"]), ("camera.update", self.street_camera.pk))

        # The relay's status reaches the receiving agency's wall too, not only the owner's.
        await sync_to_async(do_set_camera_status)(self.street_camera.pk, "live")
        status = await wall.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(
            (status["type"], status["camera_id"], status["status"]),
            ("camera.status", self.street_camera.pk, "live"),
        )

        # A reconnecting wall gets it in its state.
        again, shown = await self.connected_showing(self.outsider)
        self.assertIn(self.street_camera.pk, shown)
        await again.disconnect()

        await sync_to_async(do_revoke_share)(self.admin, share, reason="Parade over")
        removed = await wall.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(removed, {"type": "camera.removed", "camera_id": self.street_camera.pk})
        await sync_to_async(do_set_camera_status)(self.street_camera.pk, "stalled")
        self.assertTrue(await wall.receive_nothing(timeout=0.5), "no status of a camera no longer shared")
        await wall.disconnect()

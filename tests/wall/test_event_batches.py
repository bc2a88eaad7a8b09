"""A relay pass reaches each wall as one message, with only the cameras that wall shows, coalesced."""

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import SimpleTestCase

from cameras.events import agency_group
from cameras.wall.batches import batch_by_agency
from tests.personas import make_camera
from tests.wall.fixtures import WallPersonas, WallSockets, snapshot

TIMEOUT = 10


class BatchByAgencyTests(SimpleTestCase):
    def test_one_message_per_agency_keeping_each_cameras_last_event_of_each_kind(self):
        status = {"type": "camera.status", "camera_id": 1, "status": "live", "status_reason": ""}
        batches = batch_by_agency(
            [(7, snapshot(1, 1)), (8, snapshot(5, 1)), (7, status), (7, snapshot(2, 4)), (7, snapshot(1, 2))]
        )
        self.assertEqual(
            batches,
            {
                7: {"type": "cameras.batch", "events": [status, snapshot(2, 4), snapshot(1, 2)]},
                8: {"type": "cameras.batch", "events": [snapshot(5, 1)]},
            },
        )


class WallBatchTests(WallSockets, WallPersonas):
    async def test_each_wall_gets_one_message_with_only_the_cameras_it_shows(self):
        riverside, _ = await self.connected(self.dispatcher)
        lakeview, _ = await self.connected(self.outsider)
        hidden = self.revoked_camera.pk  # Riverside's, but its owner shares nothing
        batch = {
            "type": "cameras.batch",
            "events": [
                snapshot(self.live_camera.pk, 3),
                snapshot(hidden, 9),
                snapshot(self.street_camera.pk, 2),
            ],
        }
        await get_channel_layer().group_send(agency_group(self.riverside.pk), batch)
        message = await riverside.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(
            message,
            {
                "type": "cameras.batch",
                "events": [snapshot(self.live_camera.pk, 3), snapshot(self.street_camera.pk, 2)],
            },
        )
        self.assertTrue(await riverside.receive_nothing(timeout=0.3))
        # Another agency's wall given the same batch shows none of its cameras: nothing is sent.
        await get_channel_layer().group_send(agency_group(self.lakeview.pk), batch)
        self.assertTrue(await lakeview.receive_nothing(timeout=0.3))
        only_hidden = {"type": "cameras.batch", "events": [snapshot(hidden, 10)]}
        await get_channel_layer().group_send(agency_group(self.riverside.pk), only_hidden)
        self.assertTrue(await riverside.receive_nothing(timeout=0.3), "nothing to send is no message")
        await riverside.disconnect()
        await lakeview.disconnect()

    async def test_a_camera_added_since_connect_arrives_whole_from_a_batch(self):
        socket, _ = await self.connected(self.dispatcher)
        camera = await sync_to_async(make_camera)(self.riverside, "New pole camera")
        status = {"type": "camera.status", "camera_id": camera.pk, "status": "live", "status_reason": ""}
        await get_channel_layer().group_send(
            agency_group(self.riverside.pk), {"type": "cameras.batch", "events": [status]}
        )
        message = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((message["type"], message["camera"]["id"]), ("camera.update", camera.pk))
        await socket.disconnect()

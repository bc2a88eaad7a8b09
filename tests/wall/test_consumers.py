from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.incidents import do_close_incident, do_open_incident
from agencies.services import do_work_incident
from cameras.events import agency_group
from cameras.models import Consent
from cameras.services import do_revoke_consent, do_set_consent
from cameras.wall.services import do_push_layout, do_save_layout, wall_state
from tests.personas import make_camera
from tests.wall.fixtures import WallPersonas, WallSockets, session_cookie, wall_socket

TIMEOUT = 10


class WallSocketTests(WallSockets, WallPersonas):
    async def test_anonymous_is_refused(self):
        socket = wall_socket()
        connected, code = await socket.connect(timeout=TIMEOUT)
        self.assertFalse(connected)
        self.assertEqual(code, 4401)

    async def test_resident_without_agency_is_refused(self):
        socket = wall_socket(await sync_to_async(session_cookie)(self.resident))
        connected, code = await socket.connect(timeout=TIMEOUT)
        self.assertFalse(connected)
        self.assertEqual(code, 4403)

    async def test_foreign_origin_is_refused_even_when_signed_in(self):
        cookie = await sync_to_async(session_cookie)(self.dispatcher)
        for origin in ["https://evil.example", None]:
            socket = wall_socket(cookie, origin=origin)
            connected, _ = await socket.connect(timeout=TIMEOUT)
            self.assertFalse(connected, origin)

    async def test_full_state_on_connect(self):
        await sync_to_async(do_open_incident)(
            self.cad, self.riverside, external_id="CAD-1", kind="Burglary", lat=41.8801, lon=-87.6300
        )
        socket, state = await self.connected(self.dispatcher)
        cameras = {camera["name"]: camera for camera in state["cameras"]}
        self.assertEqual(sorted(cameras), ["Main St & 1st", "Rita's garage", "Rita's porch"])
        self.assertTrue(cameras["Rita's porch"]["live"])
        self.assertFalse(cameras["Rita's garage"]["live"])
        self.assertEqual(cameras["Rita's garage"]["consent_level"], "registry")
        for field in ["id", "lat", "lon", "status", "last_frame_at", "snapshot_version", "kind"]:
            self.assertIn(field, cameras["Main St & 1st"])
        self.assertEqual([incident["external_id"] for incident in state["incidents"]], ["CAD-1"])
        self.assertIn("server_time", state)
        await socket.disconnect()

    async def test_reconnect_gets_the_full_state_again(self):
        socket, first = await self.connected(self.dispatcher)
        await socket.disconnect()
        socket, second = await self.connected(self.dispatcher)
        self.assertEqual(first["cameras"], second["cameras"])
        await socket.send_json_to({"type": "state.request"})
        third = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(third["type"], "state")
        await socket.disconnect()

    async def test_events_reach_only_the_agency_they_belong_to(self):
        riverside, _ = await self.connected(self.dispatcher)
        lakeview, _ = await self.connected(self.outsider)
        event = {
            "type": "camera.status",
            "camera_id": self.street_camera.pk,
            "status": "live",
            "status_reason": "",
            "last_frame_at": None,
            "snapshot_version": 3,
        }
        await get_channel_layer().group_send(agency_group(self.riverside.pk), event)
        self.assertEqual(await riverside.receive_json_from(timeout=TIMEOUT), event)
        self.assertTrue(await lakeview.receive_nothing(timeout=0.5))
        await riverside.disconnect()
        await lakeview.disconnect()

    async def test_status_of_a_camera_the_user_may_not_see_is_not_forwarded(self):
        socket, _ = await self.connected(self.dispatcher)
        await get_channel_layer().group_send(
            agency_group(self.riverside.pk),
            {"type": "camera.status", "camera_id": self.revoked_camera.pk, "status": "live"},
        )
        self.assertTrue(await socket.receive_nothing(timeout=0.5))
        await socket.disconnect()

    async def test_camera_added_after_connect_arrives_whole_with_its_first_status(self):
        socket, _ = await self.connected(self.dispatcher)
        camera = await sync_to_async(make_camera)(self.riverside, "New street camera")
        await get_channel_layer().group_send(
            agency_group(self.riverside.pk),
            {"type": "camera.status", "camera_id": camera.pk, "status": "live"},
        )
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event["type"], "camera.update")
        self.assertEqual(event["camera"]["name"], "New street camera")
        await socket.disconnect()

    async def test_incident_opened_reaches_the_wall_with_docked_cameras(self):
        socket, _ = await self.connected(self.dispatcher)
        await sync_to_async(do_open_incident)(
            self.cad, self.riverside, external_id="CAD-7", kind="Robbery", lat=41.8802, lon=-87.6300
        )
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event["type"], "incident.opened")
        docked = [camera["id"] for camera in event["incident"]["cameras"]]
        self.assertEqual(set(docked), {self.street_camera.pk, self.live_camera.pk})
        await socket.disconnect()

    async def test_revoked_consent_turns_the_camera_off_on_the_wall(self):
        socket, _ = await self.connected(self.dispatcher)
        await sync_to_async(do_revoke_consent)(self.resident, self.live_camera)
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event, {"type": "camera.removed", "camera_id": self.live_camera.pk})
        await socket.disconnect()

    async def test_closed_incident_leaves_the_wall(self):
        incident, _ = await sync_to_async(do_open_incident)(
            self.cad, self.riverside, external_id="CAD-8", kind="Theft", lat=41.88, lon=-87.63
        )
        socket, state = await self.connected(self.dispatcher)
        self.assertEqual([i["id"] for i in state["incidents"]], [incident.pk])
        await sync_to_async(do_close_incident)(self.cad, incident)
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event, {"type": "incident.closed", "incident": {"id": incident.pk}})
        await socket.disconnect()

    async def test_acknowledged_and_dismissed_incidents_reach_every_wall_of_the_agency(self):
        incident, _ = await sync_to_async(do_open_incident)(
            self.cad, self.riverside, external_id="CAD-9", kind="Fight", lat=41.88, lon=-87.63, priority=1
        )
        socket, state = await self.connected(self.supervisor)
        self.assertEqual(state["incidents"][0]["acknowledged_at"], None)
        await sync_to_async(do_work_incident)(self.dispatcher, incident, "acknowledged")
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event["type"], "incident.updated")
        self.assertEqual(event["incident"]["acknowledged_by"], self.dispatcher.username)
        await sync_to_async(do_work_incident)(self.dispatcher, incident, "dismissed")
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event, {"type": "incident.dismissed", "incident": {"id": incident.pk}})
        await socket.disconnect()
        # A wall that connects later does not get it back.
        socket, state = await self.connected(self.dispatcher)
        self.assertEqual(state["incidents"], [])
        await socket.disconnect()

    async def test_consent_lowered_to_registry_keeps_the_camera_but_not_its_video(self):
        socket, _ = await self.connected(self.dispatcher)
        await sync_to_async(do_set_consent)(self.resident, self.live_camera, Consent.Level.REGISTRY)
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event["type"], "camera.update")
        self.assertEqual(event["camera"]["id"], self.live_camera.pk)
        self.assertFalse(event["camera"]["live"])
        self.assertIn("live", event["camera"]["live_refusal"])
        await socket.disconnect()

    async def test_pushed_layout_reaches_every_wall_and_later_walls_in_their_state(self):
        socket, _ = await self.connected(self.dispatcher)
        push = await sync_to_async(self.push_layout)()
        event = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(event["type"], "layout.pushed")
        self.assertEqual(event["layout"]["id"], push.pk)
        self.assertEqual(event["layout"]["tiles"][0], self.street_camera.pk)
        await socket.disconnect()
        late, state = await self.connected(self.dispatcher)
        self.assertEqual(state["pushed"]["id"], push.pk)
        await late.disconnect()

    def push_layout(self):
        layout = do_save_layout(
            self.supervisor, name="Parade", grid=2, tiles=[self.street_camera.pk], shared=True
        )
        return do_push_layout(self.supervisor, layout)


class WallStateQueryTests(WallPersonas):
    def test_state_takes_the_same_queries_for_many_cameras(self):
        for number in range(3):
            make_camera(self.riverside, f"Extra {number}", owner=self.resident, level="live")
        wall_state(self.dispatcher)  # the user's membership is read once, then cached on it
        with CaptureQueriesContext(connection) as few:
            wall_state(self.dispatcher)
        for number in range(20):
            make_camera(self.riverside, f"More {number}", owner=self.resident, level="live")
        with CaptureQueriesContext(connection) as many:
            self.assertEqual(len(wall_state(self.dispatcher)["cameras"]), 26)
        self.assertEqual(len(few), len(many))

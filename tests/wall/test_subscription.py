"""A subscribed wall is sent only what it shows, at the same cost whatever the agency's size."""

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.incidents import do_open_incident
from cameras.events import agency_group
from cameras.map import Viewport
from cameras.models import Camera
from cameras.services import do_save_camera
from cameras.wall.subscription import Subscription, subscribed_state
from tests.personas import make_camera
from tests.wall.fixtures import WallPersonas, WallSockets, session_cookie, snapshot, wall_socket

TIMEOUT = 10


class SubscribedWallTests(WallSockets, WallPersonas):
    def setUp(self):
        super().setUp()
        # A far corner of Riverside's map with two cameras of its own.
        self.corner = [
            make_camera(self.riverside, f"Corner {n}", lat=41.95 + n * 0.01, lon=-87.55) for n in range(2)
        ]
        self.corner_box = "41.94,-87.56,41.97,-87.54"

    async def test_connect_sends_the_tiles_and_the_viewport_only(self):
        query = f"cameras={self.live_camera.pk},{self.lakeview_camera.pk}&bbox={self.corner_box}&zoom=18"
        socket, state = await self.connected(self.dispatcher, query)
        names = sorted(camera["name"] for camera in state["cameras"])
        # Lakeview's camera was asked for but is not Riverside's to see; the street camera is not shown.
        self.assertEqual(names, ["Corner 0", "Corner 1", "Rita's porch"])
        self.assertEqual(state["map"], {"clusters": [], "total": 2})
        await socket.disconnect()

    async def test_a_wall_with_no_tiles_and_no_map_is_sent_no_camera(self):
        socket, state = await self.connected(self.dispatcher, "cameras=&bbox=")
        self.assertEqual(state["cameras"], [])
        self.assertEqual(state["map"], {"clusters": [], "total": 0})
        await socket.disconnect()

    async def test_events_reach_a_subscribed_wall_only_for_what_it_shows(self):
        socket, _ = await self.connected(self.dispatcher, f"cameras={self.live_camera.pk}")
        batch = {
            "type": "cameras.batch",
            "events": [snapshot(self.street_camera.pk, 5), snapshot(self.live_camera.pk, 2)],
        }
        await get_channel_layer().group_send(agency_group(self.riverside.pk), batch)
        message = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(message["events"], [snapshot(self.live_camera.pk, 2)])
        # Putting the street camera on a tile: a new state, and its events from then on.
        await socket.send_json_to(
            {"type": "subscribe", "cameras": [self.live_camera.pk, self.street_camera.pk]}
        )
        state = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(
            {camera["id"] for camera in state["cameras"]}, {self.live_camera.pk, self.street_camera.pk}
        )
        await get_channel_layer().group_send(agency_group(self.riverside.pk), batch)
        message = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(len(message["events"]), 2)
        await socket.disconnect()

    async def test_a_subscribed_wall_does_not_hear_of_cameras_it_does_not_show(self):
        socket, _ = await self.connected(self.dispatcher, f"cameras={self.live_camera.pk}")
        layer = get_channel_layer()
        for event in (
            {
                "type": "camera.status",
                "camera_id": self.street_camera.pk,
                "status": "live",
                "status_reason": "",
            },
            {"type": "camera.consent", "camera_id": self.street_camera.pk},
        ):
            await layer.group_send(agency_group(self.riverside.pk), event)
        self.assertTrue(await socket.receive_nothing(timeout=0.5))
        await layer.group_send(
            agency_group(self.riverside.pk), {"type": "camera.consent", "camera_id": self.live_camera.pk}
        )
        update = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((update["type"], update["camera"]["id"]), ("camera.update", self.live_camera.pk))
        await socket.disconnect()

    async def test_a_new_incident_brings_its_docked_cameras_to_a_subscribed_wall(self):
        socket, state = await self.connected(self.dispatcher, f"bbox={self.corner_box}&zoom=18")
        self.assertNotIn(self.street_camera.pk, {camera["id"] for camera in state["cameras"]})
        await sync_to_async(do_open_incident)(
            self.cad,
            self.riverside,
            external_id="CAD-9",
            kind="Alarm",
            lat=self.street_camera.lat,
            lon=self.street_camera.lon,
        )
        opened = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(opened["type"], "incident.opened")
        docked = {camera["id"] for camera in opened["incident"]["cameras"]}
        self.assertIn(self.street_camera.pk, docked)
        updates = set()
        for _ in docked:
            update = await socket.receive_json_from(timeout=TIMEOUT)
            self.assertEqual(update["type"], "camera.update")
            updates.add(update["camera"]["id"])
        self.assertEqual(updates, docked)
        await socket.disconnect()

    async def test_a_bad_subscription_gets_a_reason_and_the_socket_stays(self):
        socket, _ = await self.connected(self.dispatcher, f"cameras={self.live_camera.pk}")
        for bad in (
            {"type": "subscribe", "cameras": ["1"]},
            {"type": "subscribe", "cameras": [1], "bbox": [0, 0, 1], "zoom": 3},
            {"type": "subscribe", "cameras": [], "bbox": [2, 0, 1, 1], "zoom": 3},
            {"type": "subscribe", "cameras": [], "bbox": [0, 0, 1, 1], "zoom": 30},
            {"type": "subscribe", "cameras": [], "bbox": [10**400, 0, 1, 1], "zoom": 3},  # no float holds it
        ):
            await socket.send_json_to(bad)
            answer = await socket.receive_json_from(timeout=TIMEOUT)
            self.assertEqual(answer["type"], "error", bad)
        await socket.send_json_to({"type": "state.request"})
        self.assertEqual((await socket.receive_json_from(timeout=TIMEOUT))["type"], "state")
        await socket.disconnect()

    async def test_a_bad_query_subscribes_to_nothing_and_says_why(self):
        path = "/ws/wall/?cameras=1,two&bbox=0,0,1,1&zoom=3"
        socket = wall_socket(await sync_to_async(session_cookie)(self.dispatcher), path=path)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        self.assertTrue(connected)
        error = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(error["type"], "error")
        self.assertIn("cameras as ids", error["detail"])
        state = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((state["type"], state["cameras"]), ("state", []))  # never the agency's every camera
        await socket.disconnect()

    async def test_a_camera_newly_seen_inside_the_map_brings_the_viewport_again(self):
        socket, state = await self.connected(self.dispatcher, f"bbox={self.corner_box}&zoom=18")
        self.assertEqual(state["map"]["total"], 2)

        def add_agency_camera(name, lat, lon):  # as the admin's camera form does
            camera = Camera(agency=self.riverside, kind=Camera.Kind.PUBLIC, name=name, lat=lat, lon=lon)
            return do_save_camera(self.admin, camera, created=True)

        inside = await sync_to_async(add_agency_camera)("Corner new", 41.955, -87.55)
        again = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual(again["type"], "state")
        self.assertIn(inside.pk, {camera["id"] for camera in again["cameras"]})
        self.assertEqual(again["map"]["total"], 3)
        # Elsewhere in the city: nothing for this wall.
        await sync_to_async(add_agency_camera)("Far away", 41.88, -87.63)
        self.assertTrue(await socket.receive_nothing(timeout=0.5))
        await socket.disconnect()

    async def test_cameras_imported_together_inside_the_map_bring_the_viewport_once(self):
        socket, state = await self.connected(self.dispatcher, f"bbox={self.corner_box}&zoom=18")
        self.assertEqual(state["map"]["total"], 2)

        @transaction.atomic
        def import_cameras():  # one commit, each camera's own message after it
            for number in range(5):
                camera = Camera(
                    agency=self.riverside,
                    kind=Camera.Kind.PUBLIC,
                    name=f"Imported {number}",
                    lat=41.951 + number * 0.002,
                    lon=-87.55,
                )
                do_save_camera(self.admin, camera, created=True)

        await sync_to_async(import_cameras)()
        again = await socket.receive_json_from(timeout=TIMEOUT)
        self.assertEqual((again["type"], again["map"]["total"]), ("state", 7))
        self.assertTrue(await socket.receive_nothing(timeout=0.5))  # once, not once a camera
        await socket.disconnect()

    async def test_a_status_of_a_camera_not_shown_is_not_read_for_a_subscribed_wall(self):
        # A status never makes a camera visible: it is neither read (a query per wall per
        # event) nor answered, even for a camera the wall may not see at all.
        socket, _ = await self.connected(self.dispatcher, f"cameras={self.live_camera.pk}")
        for camera in (self.street_camera, self.lakeview_camera):
            status = {"type": "camera.status", "camera_id": camera.pk, "status": "live"}
            await get_channel_layer().group_send(agency_group(self.riverside.pk), status)
        self.assertTrue(await socket.receive_nothing(timeout=0.5))
        await socket.disconnect()

    def test_the_subscribed_state_costs_the_same_queries_for_any_number_of_cameras(self):
        viewport = Viewport(41.85, -87.70, 41.98, -87.50, 13)
        # At the street camera, so that docking has cameras to weigh.
        lat, lon = self.street_camera.lat, self.street_camera.lon
        do_open_incident(self.cad, self.riverside, external_id="CAD-1", kind="Alarm", lat=lat, lon=lon)
        subscribed_state(self.dispatcher, Subscription(frozenset(), viewport))  # content types cached
        tiles = frozenset([self.live_camera.pk, self.street_camera.pk, *(c.pk for c in self.corner)])
        counts = []
        for extra in (0, 40):
            for number in range(extra):
                make_camera(self.riverside, f"More {number}", lat=lat + number * 0.0001, lon=lon)
            with CaptureQueriesContext(connection) as queries:
                state = subscribed_state(self.dispatcher, Subscription(tiles, viewport))
            self.assertGreaterEqual(len(state["cameras"]), 4)
            self.assertEqual(len(state["incidents"][0]["cameras"]), 2)  # the two that may be seen live
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])

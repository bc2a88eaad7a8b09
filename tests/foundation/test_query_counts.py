"""The hot paths cost a fixed number of queries, however many cameras or incidents there are.

Each count is pinned: a change that adds a query per camera (or any query at all) to a path
that runs once per video segment, per wall connect or per CAD call shows up here first.
"""

import shutil

from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from agencies.incidents import do_open_incident
from cameras.access import cameras_visible_to
from cameras.models import Camera, Consent
from cameras.relay.layout import live_dir
from tests.personas import Personas, make_camera
from tests.wall.fixtures import IncidentPersonas, WallPersonas, make_contract, session_cookie, wall_socket

# About 12 m north per camera: 20 cameras stay within the 300 m docking radius, none as far as another.
STEP_DEGREES = 0.00011


def add_cameras_near(agency, owner, count: int, first: int = 0, live_every: int = 2) -> None:
    """Private cameras `Near <first>`... north of the agency's centre, each `live_every`-th shared live."""
    for number in range(first, first + count):
        level = Consent.Level.LIVE if number % live_every == live_every - 1 else Consent.Level.REGISTRY
        make_camera(
            agency, f"Near {number}", owner=owner, level=level, lat=agency.lat + STEP_DEGREES * (number + 1)
        )


class MediaRequestQueryTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_contract(cls.riverside)

    def setUp(self):
        folder = live_dir(self.live_camera.pk)
        folder.mkdir(parents=True, exist_ok=True)
        self.addCleanup(shutil.rmtree, folder, True)
        (folder / "index.m3u8").write_text("#EXTM3U\n#EXTINF:1.0,\nseg-1.ts\n")
        (folder / "seg-1.ts").write_bytes(b"\x47" * 188)
        live = self.api(self.dispatcher).post(
            f"/api/v1/cameras/{self.live_camera.pk}/live/",
            {"purpose": "burglary in progress", "case_number": "RPD-2026-7"},
            format="json",
        )
        self.assertEqual(live.status_code, 200, live.content)
        self.playlist = live.json()["hls_url"]

    @override_settings(RTCC_MEDIA_AUTH_CACHE_SECONDS=0)
    def test_playlist_and_segment_checked_in_the_database_each_cost_seven_queries(self):
        Client().get(self.playlist)  # django-guardian caches a content type for the process
        # The user, their membership, their per-camera grants, the camera as they may see it, the
        # contract, the consent, the session.
        for url in [self.playlist, self.playlist.replace("index.m3u8", "seg-1.ts")]:
            with self.assertNumQueries(7):
                self.assertEqual(Client().get(url).status_code, 200, url)

    def test_playlist_and_segment_in_the_steady_state_cost_no_query(self):
        urls = [self.playlist, self.playlist.replace("index.m3u8", "seg-1.ts")]
        for url in urls:  # decided once and stored (cameras/media/authorization_cache.py)
            self.assertEqual(Client().get(url).status_code, 200, url)
        for url in urls:
            with self.assertNumQueries(0):
                self.assertEqual(Client().get(url).status_code, 200, url)


class CameraListQueryTests(Personas):
    def listed_with_queries(self, visible: int) -> int:
        """Queries for the dispatcher's camera list once they may see `visible` cameras."""
        already = cameras_visible_to(self.dispatcher).count()
        add_cameras_near(self.riverside, self.resident, visible - already, first=already)
        client = self.api(self.dispatcher)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/cameras/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], visible)
        return len(queries)

    def test_list_costs_the_same_for_5_and_30_cameras(self):
        # The token with its user and membership, the grants and shares, the page with its count
        # (consent levels annotated in it).
        self.assertEqual(self.listed_with_queries(5), 3)
        self.assertEqual(self.listed_with_queries(30), 3)


class IncidentDockingQueryTests(IncidentPersonas):
    def docked_with_queries(self, near: int, external_id: str) -> tuple[list[str], int]:
        """The cameras docked with a new incident once `near` more cameras stand near it, and the queries."""
        first = Camera.objects.filter(name__startswith="Near").count()
        add_cameras_near(self.riverside, self.resident, near, first=first, live_every=5)
        client = self.api(self.cad)
        call = {"external_id": external_id, "kind": "Burglary", "lat": 41.8800, "lon": -87.6300}
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/incidents/", call, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        return [camera["name"] for camera in response.json()["cameras"]], len(queries)

    def test_docking_costs_the_same_for_2_and_20_cameras_near(self):
        few, few_queries = self.docked_with_queries(2, "CAD-FEW")
        # Nearest first; the registry-only cameras (all but every fifth Near one) never dock.
        self.assertEqual(few, ["Main St & 1st", "Rita's porch"])
        many, many_queries = self.docked_with_queries(18, "CAD-MANY")
        # The agency's four nearest that may be seen live: Rita's porch (56 m) stands before Near 4 (61 m).
        self.assertEqual(many, ["Main St & 1st", "Rita's porch", "Near 4", "Near 9"])
        # Sign-in 1 (the token with its user and membership), the CAD id 1, the insert 3 with its
        # savepoint; docking 3 for the walls, 3 for the answer.
        self.assertEqual((few_queries, many_queries), (11, 11))


class WallConnectQueryTests(WallPersonas):
    async def connect_with_queries(self) -> tuple[dict, int]:
        socket = wall_socket(await sync_to_async(session_cookie)(self.dispatcher))
        # The consumer's database work runs on connections of its own: with DEBUG every connection
        # logs each query it runs, whichever thread or context it belongs to.
        with override_settings(DEBUG=True), self.assertLogs("django.db.backends", "DEBUG") as queries:
            connected, _ = await socket.connect(timeout=10)
            state = await socket.receive_json_from(timeout=10)
        self.assertTrue(connected)
        await socket.disconnect()
        return state, len(queries.records)

    async def open_incidents(self, count: int, first: int = 0) -> None:
        for number in range(first, first + count):
            await sync_to_async(do_open_incident)(
                self.cad, self.riverside, external_id=f"CAD-{number}", kind="Alarm", lat=41.8801, lon=-87.6300
            )

    async def test_connect_costs_the_same_for_1_and_10_incidents_with_their_cameras(self):
        await sync_to_async(add_cameras_near)(self.riverside, self.resident, 10)
        await self.connect_with_queries()  # django-guardian caches a content type for the process
        await self.open_incidents(1)
        state, one = await self.connect_with_queries()
        self.assertEqual(len(state["incidents"]), 1)
        self.assertEqual(len(state["incidents"][0]["cameras"]), 4)
        await self.open_incidents(9, first=1)
        state, ten = await self.connect_with_queries()
        self.assertEqual([len(incident["cameras"]) for incident in state["incidents"]], [4] * 10)
        # Session 3; cameras 4 (with the per-camera grants); incidents 1 and their docking 3; the
        # pushed layout 1.
        self.assertEqual((one, ten), (12, 12))

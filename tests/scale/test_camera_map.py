"""The clustered map: at most 500 items, only visible cameras, every camera in the box counted once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cameras.access import cameras_visible_to
from cameras.map import MAX_ITEMS, SHOWN_WHOLE
from cameras.models import Camera
from rtcc import fleet_data
from tests.personas import Personas, make_camera


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


class FleetMapTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Two generated agencies beside the personas: their cameras must never reach Riverside's map.
        fleet_data.FleetBuilder(
            "fleet-password", "JBSWY3DPEHPK3PXP", seed=11, progress=lambda done: None
        ).build(1200, 2)
        cls.agency = cls.riverside
        # A dense knot of shared cameras around Riverside's centre, and its outsiders' cameras at the same spot.
        for number in range(600):
            make_camera(
                cls.riverside,
                f"Knot {number}",
                lat=cls.riverside.lat + (number % 30) * 0.0007,
                lon=cls.riverside.lon + (number // 30) * 0.0009,
            )
            if number % 50 == 0:
                make_camera(cls.lakeview, f"Other {number}", lat=cls.riverside.lat, lon=cls.riverside.lon)

    def map_of(self, user, bbox, zoom):
        response = client_of(user).get(f"/api/v1/cameras/map/?bbox={','.join(map(str, bbox))}&zoom={zoom}")
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def visible_in(self, user, bbox) -> set[int]:
        south, west, north, east = bbox
        inside = cameras_visible_to(user).filter(lat__gte=south, lat__lte=north, lon__gte=west, lon__lte=east)
        return set(inside.values_list("pk", flat=True))

    def assert_covers_once(self, user, bbox):
        expected = self.visible_in(user, bbox)
        for zoom in range(19):
            body = self.map_of(user, bbox, zoom)
            items = body["items"]
            self.assertLessEqual(len(items), MAX_ITEMS, zoom)
            cameras = [item["id"] for item in items if "id" in item]
            clusters = [item for item in items if "id" not in item]
            self.assertEqual(len(cameras), len(set(cameras)), zoom)
            self.assertLessEqual(set(cameras), expected, zoom)
            self.assertTrue(
                all(cluster["count"] >= 2 and set(cluster) == {"lat", "lon", "count"} for cluster in clusters)
            )
            self.assertEqual(
                len(cameras) + sum(cluster["count"] for cluster in clusters), len(expected), zoom
            )
            self.assertEqual(body["total"], len(expected), zoom)

    def test_clusters_cover_every_visible_camera_once_at_every_zoom(self):
        lat, lon = self.riverside.lat, self.riverside.lon
        self.assert_covers_once(self.dispatcher, (lat - 0.01, lon - 0.02, lat + 0.03, lon + 0.03))

    def test_a_generated_agency_sees_its_whole_city_in_at_most_500_items(self):
        agency = fleet_data.Agency.objects.get(slug="agency-001")
        dispatcher = fleet_data.User.objects.get(username="dispatcher-001")
        self.assert_covers_once(
            dispatcher, (agency.lat - 0.2, agency.lon - 0.25, agency.lat + 0.2, agency.lon + 0.25)
        )

    def test_the_world_at_zoom_18_is_still_at_most_500_items(self):
        body = self.map_of(self.dispatcher, (-90, -180, 90, 180), 18)
        self.assertLessEqual(len(body["items"]), MAX_ITEMS)
        self.assertEqual(body["total"], cameras_visible_to(self.dispatcher).count())

    def test_close_in_every_camera_comes_with_the_list_fields(self):
        camera = Camera.objects.get(name="Knot 599")
        box = (camera.lat - 0.0001, camera.lon - 0.0001, camera.lat + 0.0001, camera.lon + 0.0001)
        (item,) = self.map_of(self.dispatcher, box, 18)["items"]
        listed = self.api(self.dispatcher).get(f"/api/v1/cameras/{camera.pk}/").json()
        self.assertEqual(item, listed)

    def test_cost_is_a_fixed_number_of_queries(self):
        box = (
            self.riverside.lat - 0.01,
            self.riverside.lon - 0.02,
            self.riverside.lat + 0.03,
            self.riverside.lon + 0.03,
        )
        client = client_of(self.dispatcher)
        client.get("/api/v1/cameras/map/?bbox=0,0,1,1&zoom=3")  # django-guardian caches a content type
        # The token with its user and membership, the per-camera grants and shares, the grouped
        # cells, and the lone cameras if any.
        for zoom, expected in [(3, 3), (16, 4), (18, 4)]:
            with CaptureQueriesContext(connection) as queries:
                client.get(f"/api/v1/cameras/map/?bbox={','.join(map(str, box))}&zoom={zoom}")
            self.assertEqual(len(queries), expected, [q["sql"][:80] for q in queries])


class QuietMapTests(Personas):
    def test_a_box_with_few_cameras_shows_each_of_them_at_every_zoom(self):
        lat, lon = self.riverside.lat, self.riverside.lon
        for number in range(SHOWN_WHOLE - 10):
            make_camera(self.riverside, f"Close {number}", lat=lat + number * 0.00001, lon=lon)
        bbox = (lat - 0.01, lon - 0.01, lat + 0.01, lon + 0.01)
        inside = cameras_visible_to(self.dispatcher).filter(
            lat__gte=bbox[0], lat__lte=bbox[2], lon__gte=bbox[1], lon__lte=bbox[3]
        )
        expected = sorted(inside.values_list("pk", flat=True))
        self.assertLessEqual(len(expected), SHOWN_WHOLE)
        for zoom in (3, 14, 18):
            body = (
                client_of(self.dispatcher)
                .get(f"/api/v1/cameras/map/?bbox={','.join(map(str, bbox))}&zoom={zoom}")
                .json()
            )
            self.assertEqual([item.get("id") for item in body["items"]], expected, zoom)
            self.assertEqual(body["total"], len(expected))


class MapInputTests(Personas):
    def assert_refused(self, query, **reason):
        [(field, text)] = reason.items()
        response = client_of(self.dispatcher).get(f"/api/v1/cameras/map/?{query}")
        self.assertEqual(response.status_code, 400, query)
        self.assertIn(text, response.json()[field][0], query)

    def test_bad_boxes_and_zooms_get_400_with_a_reason(self):
        self.assert_refused("bbox=1,2,3&zoom=4", bbox="<south>,<west>,<north>,<east>")
        self.assert_refused("bbox=a,b,c,d&zoom=4", bbox="<south>,<west>,<north>,<east>")
        self.assert_refused("bbox=nan,0,1,1&zoom=4", bbox="numbers")
        self.assert_refused("bbox=2,0,1,1&zoom=4", bbox="south not above north")
        self.assert_refused("bbox=0,170,1,-170&zoom=4", bbox="two boxes")
        self.assert_refused("bbox=0,0,1,1&zoom=23", zoom="less than or equal to 22")
        self.assert_refused("bbox=0,0,1,1", zoom="required")

    def test_anonymous_gets_401(self):
        self.assertEqual(APIClient().get("/api/v1/cameras/map/?bbox=0,0,1,1&zoom=3").status_code, 401)

"""The camera list read as plain rows: the same fields as the serializer, searched on the server, counted in one query."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cameras.access import cameras_visible_to
from cameras.api.rows import camera_rows
from cameras.api.serializers import CameraSerializer
from cameras.models import Camera
from rtcc.geo import METRES_PER_DEGREE, planar_distance_m, within
from tests.personas import Personas, make_camera


class CameraRowsTests(Personas):
    def test_rows_are_what_the_serializer_gives_camera_by_camera(self):
        Camera.objects.filter(pk=self.live_camera.pk).update(
            last_frame_at=timezone.now() - timedelta(seconds=3), status=Camera.Status.LIVE
        )
        centre = (self.riverside.lat, self.riverside.lon)
        for cameras in (
            cameras_visible_to(self.dispatcher).order_by("pk"),
            within(cameras_visible_to(self.dispatcher), *centre, 5000),
            cameras_visible_to(self.resident).order_by("pk"),
        ):
            self.assertEqual(camera_rows(cameras), CameraSerializer(cameras, many=True).data)
            self.assertTrue(cameras.exists())


class ListSearchTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # A row of cameras going east from the centre, 100 m apart, every third on Elm St.
        cls.row = [
            make_camera(
                cls.riverside,
                f"Row {number}",
                lat=cls.riverside.lat + 0.02,
                lon=cls.riverside.lon + number * 100 / (METRES_PER_DEGREE * 0.745),
                address="12 Elm St" if number % 3 == 0 else "Oak Ave",
            )
            for number in range(30)
        ]

    def get(self, query, user=None):
        response = self.api(user or self.dispatcher).get(f"/api/v1/cameras/?{query}")
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def test_text_search_finds_names_and_addresses_and_only_visible_cameras(self):
        body = self.get("q=elm st&page_size=100")
        self.assertEqual({c["name"] for c in body["results"]}, {f"Row {n}" for n in range(0, 30, 3)})
        self.assertEqual(self.get("q=lakeview")["count"], 0)
        self.assertEqual(self.get("q=rita's")["count"], 2)

    def test_around_orders_every_visible_camera_by_distance_without_a_radius(self):
        lat, lon = self.row[29].lat, self.row[29].lon
        body = self.get(f"around={lat},{lon}&page_size=5")
        self.assertEqual(body["count"], cameras_visible_to(self.dispatcher).count())
        self.assertEqual([c["name"] for c in body["results"]], [f"Row {n}" for n in (29, 28, 27, 26, 25)])
        everything = self.get(f"around={lat},{lon}&page_size=500")["results"]
        distances = [c["distance_m"] for c in everything]
        self.assertEqual(distances, sorted(distances))
        far = everything[-1]
        self.assertAlmostEqual(
            far["distance_m"], planar_distance_m(lat, lon, far["lat"], far["lon"]), delta=0.1
        )

    def test_pages_link_to_each_other_and_a_page_past_the_end_is_404(self):
        first = self.get("q=row&page_size=12")
        self.assertEqual((first["count"], len(first["results"]), first["previous"]), (30, 12, None))
        second = self.api(self.dispatcher).get(first["next"]).json()
        third = self.api(self.dispatcher).get(second["next"]).json()
        self.assertEqual((len(third["results"]), third["next"]), (6, None))
        self.assertNotIn("page=", second["previous"])
        names = [c["name"] for page in (first, second, third) for c in page["results"]]
        self.assertEqual(len(set(names)), 30)
        for page in ("4", "0", "x"):
            response = self.api(self.dispatcher).get(f"/api/v1/cameras/?q=row&page_size=12&page={page}")
            self.assertEqual(response.status_code, 404, page)

    def test_bad_points_get_400_with_a_reason(self):
        for query in ("around=1", "around=91,0", "near=a,b", f"q={'x' * 101}"):
            response = self.api(self.dispatcher).get(f"/api/v1/cameras/?{query}")
            self.assertEqual(response.status_code, 400, query)

    def test_a_page_costs_the_same_queries_whatever_the_number_of_cameras(self):
        client = self.api(self.dispatcher)
        client.get("/api/v1/cameras/")  # django-guardian caches a content type
        lat, lon = self.riverside.lat + 0.02, self.riverside.lon
        # The token with its user and membership, the per-camera grants and shares, and one query for
        # the page with its count.
        for query in (
            "",
            "q=elm",
            f"near={lat},{lon}&radius=300",
            f"near={lat},{lon}&radius=3000",
            f"around={lat},{lon}",
        ):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/cameras/?{query}")
            self.assertEqual(response.status_code, 200)
            self.assertEqual(len(queries), 3, (query, [q["sql"][:80] for q in queries]))

"""`?near=`: the cell index finds what the exact scan finds, edge included, on either database."""

import math

from django.test import TestCase

from agencies.models import Agency
from cameras.models import Camera
from rtcc.geo import METRES_PER_DEGREE, cell_of, haversine_m, planar_distance_m, within
from tests.personas import Personas, make_camera


class NearQueryTests(Personas):
    def test_sql_and_python_agree_at_the_edge(self):
        lat, lon, radius = self.riverside.lat, self.riverside.lon, 500.0
        kx = METRES_PER_DEGREE * math.cos(math.radians(lat))
        # Due east and due north, a centimetre inside and a centimetre outside the circle.
        for name, north, east in [
            ("in east", 0, radius - 0.01),
            ("out east", 0, radius + 0.01),
            ("in north", radius - 0.01, 0),
            ("out north", radius + 0.01, 0),
            ("in diagonal", (radius - 0.01) / math.sqrt(2), (radius - 0.01) / math.sqrt(2)),
        ]:
            make_camera(self.riverside, name, lat=lat + north / METRES_PER_DEGREE, lon=lon + east / kx)
        found = {c.name for c in within(Camera.objects.all(), lat, lon, radius)}
        exact = {c.name for c in Camera.objects.all() if planar_distance_m(lat, lon, c.lat, c.lon) <= radius}
        self.assertEqual(found, exact)
        self.assertLessEqual({"in east", "in north", "in diagonal"}, found)
        self.assertFalse({"out east", "out north"} & found)

    def test_near_query_orders_by_distance_through_the_api(self):
        response = self.api(self.dispatcher).get(
            f"/api/v1/cameras/?near={self.riverside.lat},{self.riverside.lon}&radius=200"
        )
        distances = [camera["distance_m"] for camera in response.json()["results"]]
        self.assertEqual(distances, sorted(distances))
        self.assertEqual(len(distances), 3)


class DistanceDefinitionTests(TestCase):
    def test_planar_distance_matches_the_haversine_within_a_metre_in_a_city(self):
        lat, lon = 41.88, -87.63
        for north, east in [(0.0, 0.02), (0.02, 0.0), (0.03, -0.04)]:
            self.assertLess(
                abs(
                    planar_distance_m(lat, lon, lat + north, lon + east)
                    - haversine_m(lat, lon, lat + north, lon + east)
                ),
                1.0,
            )


class CellTests(TestCase):
    def test_a_moved_camera_takes_its_new_cell_even_with_update_fields(self):
        agency = Agency.objects.create(slug="a", name="A", lat=41.88, lon=-87.63)
        camera = make_camera(agency, "moved")
        camera.lat, camera.lon = 40.71, -74.0
        camera.save(update_fields=["lat", "lon"])
        camera.refresh_from_db()
        self.assertEqual(camera.geocell, cell_of(40.71, -74.0))

    def test_bulk_created_cameras_have_cells(self):
        agency = Agency.objects.create(slug="a", name="A", lat=41.88, lon=-87.63)
        Camera.objects.bulk_create(
            [Camera(agency=agency, name="bulk", kind=Camera.Kind.PUBLIC, lat=10.5, lon=20.25)]
        )
        self.assertEqual(Camera.objects.get(name="bulk").geocell, cell_of(10.5, 20.25))

"""Hostile input gets a 4xx with a reason, never a 500: deep JSON, huge bodies, out-of-range ids, floats
where a whole number belongs, oversized schedules."""

import json
from datetime import timedelta
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from agencies.models import Membership
from cameras.models import MAX_SCHEDULE_WINDOWS, Consent, validate_schedule
from cameras.wall.models import Layout
from rtcc.jsonlimits import MAX_DEPTH
from rtcc.validators import ID_MAX
from tests.personas import Personas, make_camera, make_user

DEEP = "[" * 100_000 + "]" * 100_000
TOO_BIG_IDS = [10**20, 2**63]
SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


class BadInput(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cad = make_user("carl-cad", cls.riverside, Membership.Role.CAD)
        cls.on_request_camera = make_camera(
            cls.riverside, "Rita's shop", owner=cls.resident, level=Consent.Level.ON_REQUEST, lat=41.8815
        )

    def setUp(self):
        # A 500 must show as a failed assertion on its status, not as an exception in the test.
        self.client.raise_request_exception = False

    def api(self, user=None):
        client = super().api(user)
        client.raise_request_exception = False
        return client

    def footage_body(self, cameras) -> dict:
        end = timezone.now() - timedelta(hours=1)
        return {
            "cameras": cameras,
            "start": (end - timedelta(hours=1)).isoformat(),
            "end": end.isoformat(),
            "case_number": "RPD-1",
            "reason": "Burglary",
        }


class DeepJSONTests(BadInput):
    def api_calls(self):
        camera = self.live_camera.pk
        return [
            (None, "post", "/api/v1/auth/token/"),
            (None, "post", "/api/v1/devices/enroll/"),
            (self.dispatcher, "post", "/api/v1/footage-requests/"),
            (self.dispatcher, "post", f"/api/v1/cameras/{camera}/live/"),
            (self.cad, "post", "/api/v1/incidents/"),
            (self.admin, "post", "/api/v1/cameras/"),
            (self.resident, "put", f"/api/v1/portal/cameras/{camera}/consent/"),
        ]

    def test_json_nested_100000_deep_is_400_with_the_reason_on_every_api_body(self):
        for user, method, path in self.api_calls():
            response = getattr(self.api(user), method)(path, DEEP, content_type="application/json")
            self.assertEqual(response.status_code, 400, (path, response.content[:200]))
            self.assertIn(f"deeper than {MAX_DEPTH} levels", response.json()["detail"], path)

    def test_json_just_past_the_depth_limit_is_refused_and_at_it_is_parsed(self):
        client = self.api(self.dispatcher)
        too_deep = client.post(
            "/api/v1/footage-requests/", nested(MAX_DEPTH + 1), content_type="application/json"
        )
        self.assertIn("deeper than", too_deep.json()["detail"])
        at_limit = client.post(
            "/api/v1/footage-requests/", nested(MAX_DEPTH), content_type="application/json"
        )
        self.assertEqual(at_limit.status_code, 400)
        self.assertNotIn("detail", at_limit.json())  # parsed; the serializer names what is wrong

    def test_deep_json_to_a_wall_layout_is_400_with_the_reason(self):
        self.client.force_login(self.dispatcher)
        response = self.client.post("/wall/layouts/", DEEP, content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("deeper than", response.json()["detail"])

    def test_deep_json_as_privacy_masks_is_a_form_error(self):
        self.client.force_login(self.resident)
        response = self.client.post(f"/portal/cameras/{self.live_camera.pk}/masks/", {"masks": DEEP})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "could not be read")
        huge_number = json.dumps([{"x": 10**400, "y": 0, "width": 0.1, "height": 0.1}])
        response = self.client.post(f"/portal/cameras/{self.live_camera.pk}/masks/", {"masks": huge_number})
        self.assertContains(response, "needs numbers")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=16 * 1024)
class BodySizeTests(BadInput):
    def test_an_api_body_over_the_limit_is_413_with_the_limit(self):
        body = json.dumps({**self.footage_body([self.on_request_camera.pk]), "reason": "x" * 20_000})
        response = self.api(self.dispatcher).post(
            "/api/v1/footage-requests/", body, content_type="application/json"
        )
        self.assertEqual(response.status_code, 413)
        self.assertIn("16,384 bytes", response.json()["detail"])

    def test_a_wall_layout_over_the_limit_is_400(self):
        self.client.force_login(self.dispatcher)
        body = json.dumps({"name": "x" * 20_000, "grid": 2, "tiles": []})
        response = self.client.post("/wall/layouts/", body, content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("larger than", response.json()["detail"])


class IdRangeTests(BadInput):
    def test_footage_request_for_a_camera_id_beyond_the_database_is_400(self):
        for camera_id in TOO_BIG_IDS:
            response = self.api(self.dispatcher).post(
                "/api/v1/footage-requests/", self.footage_body([camera_id]), format="json"
            )
            self.assertEqual(response.status_code, 400, camera_id)
            self.assertIn(str(ID_MAX), json.dumps(response.json()["cameras"]))

    def test_live_view_for_an_incident_id_beyond_the_database_is_400(self):
        for incident_id in TOO_BIG_IDS:
            response = self.api(self.dispatcher).post(
                f"/api/v1/cameras/{self.street_camera.pk}/live/",
                {"purpose": "patrol", "incident": incident_id},
                format="json",
            )
            self.assertEqual(response.status_code, 400, incident_id)
            self.assertIn("incident", response.json())

    def test_layout_tiles_beyond_the_database_are_400(self):
        self.client.force_login(self.dispatcher)
        for tile in [*TOO_BIG_IDS, 0, -1, 1.0, True, "1"]:
            body = {"name": "Downtown", "grid": 2, "tiles": [tile]}
            response = self.client.post("/wall/layouts/", body, content_type="application/json")
            self.assertEqual(response.status_code, 400, tile)
            self.assertIn("tiles", response.json()["errors"])
        self.assertFalse(Layout.objects.exists())

    def test_ids_in_paths_beyond_the_database_are_404(self):
        too_big = [str(10**20), str(2**63), "9" * 400]
        self.client.force_login(self.resident)
        for camera_id in too_big:
            self.assertEqual(self.client.get(f"/portal/cameras/{camera_id}/").status_code, 404)
            self.assertEqual(self.client.get(f"/media/snapshot/{camera_id}.jpg").status_code, 404)
            self.assertEqual(
                self.api(self.resident).get(f"/api/v1/portal/cameras/{camera_id}/").status_code, 404
            )
            self.assertEqual(self.api(self.dispatcher).get(f"/api/v1/cameras/{camera_id}/").status_code, 404)
            response = self.api(self.dispatcher).post(f"/api/v1/cameras/{camera_id}/live/", {}, format="json")
            self.assertEqual(response.status_code, 404)
        self.client.force_login(self.dispatcher)
        for layout_id in too_big:
            self.assertEqual(self.client.delete(f"/wall/layouts/{layout_id}/").status_code, 404)
            self.assertEqual(self.client.post(f"/wall/layouts/{layout_id}/push/").status_code, 404)

    def test_the_largest_id_still_reaches_the_view(self):
        self.client.force_login(self.dispatcher)
        # The view answers JSON; a path the converter refuses gets the HTML not-found page.
        self.assertEqual(self.client.delete(f"/wall/layouts/{ID_MAX}/").json(), {"detail": "Not found."})
        self.assertNotIn("json", self.client.delete(f"/wall/layouts/{ID_MAX + 1}/")["Content-Type"])


class StrictNumberTests(BadInput):
    def save_layout(self, **body):
        self.client.force_login(self.dispatcher)
        layout = {"name": "Downtown", "grid": 2, "tiles": [], **body}
        return self.client.post("/wall/layouts/", layout, content_type="application/json")

    def test_a_layout_grid_that_is_not_a_whole_number_is_400(self):
        for grid in [2.0, True, "2", 2.5, None, 5]:
            response = self.save_layout(grid=grid)
            self.assertEqual(response.status_code, 400, grid)
            self.assertIn("grid", response.json()["errors"])
        self.assertEqual(self.save_layout(grid=2).status_code, 201)

    def test_a_layout_name_with_nul_or_a_lone_surrogate_is_400(self):
        # PostgreSQL refuses NUL and no driver encodes a lone surrogate: both were 500s waiting.
        for name in ["Down\x00town", "Down\ud800town"]:
            response = self.save_layout(name=name)
            self.assertEqual(response.status_code, 400, repr(name))
            self.assertIn("name", response.json()["errors"])

    def test_a_mask_label_with_nul_is_a_form_error(self):
        self.client.force_login(self.resident)
        masks = json.dumps([{"x": 0, "y": 0, "width": 0.1, "height": 0.1, "label": "a\x00b"}])
        response = self.client.post(f"/portal/cameras/{self.live_camera.pk}/masks/", {"masks": masks})
        self.assertContains(response, "cannot be stored")

    def test_shared_must_be_true_or_false(self):
        response = self.save_layout(shared="false")
        self.assertEqual(response.status_code, 400)
        self.assertIn("shared", response.json()["errors"])


class ScheduleTests(BadInput):
    def put_schedule(self, schedule):
        return self.api(self.resident).put(
            f"/api/v1/portal/cameras/{self.live_camera.pk}/consent/",
            {"level": "live", "schedule": schedule},
            format="json",
        )

    def test_a_schedule_of_29_windows_is_400_and_of_28_is_kept(self):
        window = {"days": [0], "start": "08:00", "end": "09:00"}
        before = Consent.objects.count()
        for count in [MAX_SCHEDULE_WINDOWS + 1, 10_000]:
            response = self.put_schedule([window] * count)
            self.assertEqual(response.status_code, 400, count)
            self.assertIn("28", json.dumps(response.json()["schedule"]))
        self.assertEqual(Consent.objects.count(), before)
        self.assertEqual(self.put_schedule([window] * MAX_SCHEDULE_WINDOWS).status_code, 200)

    def test_times_with_an_offset_or_seconds_are_400(self):
        # "08:00+05:00" was accepted, and comparing it with local time raised in the relay fleet.
        for start in ["08:00+05:00", "08:00:00", "8:00", "24:00", "08:00Z"]:
            response = self.put_schedule([{"days": [0], "start": start, "end": "18:00"}])
            self.assertEqual(response.status_code, 400, start)
            self.assertIn("08:00", json.dumps(response.json()["schedule"]))

    def test_the_model_refuses_what_the_api_would_have_turned_into_numbers(self):
        for schedule in [
            [{"days": [2.0], "start": "08:00", "end": "09:00"}],
            [{"days": [True], "start": "08:00", "end": "09:00"}],
            [{"days": [0] * 8, "start": "08:00", "end": "09:00"}],
            [{"days": [0], "start": "08:00", "end": "09:00"}] * (MAX_SCHEDULE_WINDOWS + 1),
            [{"days": [0], "start": 800, "end": "09:00"}],
        ]:
            with self.assertRaises(ValidationError, msg=schedule):
                validate_schedule(schedule)


class OptionsTests(BadInput):
    def test_options_on_live_describes_the_request(self):
        response = self.api(self.dispatcher).options(f"/api/v1/cameras/{self.street_camera.pk}/live/")
        self.assertEqual(response.status_code, 200)
        self.assertIn("purpose", response.json()["actions"]["POST"])

    def test_options_on_every_api_path_is_no_server_error_for_anyone(self):
        for user in [None, self.resident, self.dispatcher, self.admin]:
            for path in SCHEMA["paths"]:
                url = path.replace("{id}", str(self.live_camera.pk))
                response = self.api(user).options(url)
                self.assertLess(response.status_code, 500, (user, url, response.content[:200]))

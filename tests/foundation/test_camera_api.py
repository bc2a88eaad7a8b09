from agencies.models import AccessEvent
from cameras.models import Camera
from tests.personas import PASSWORD, Personas, totp_code


class TokenTests(Personas):
    def test_token_for_right_password(self):
        response = self.api().post(
            "/api/v1/auth/token/",
            {"username": "dan-dispatcher", "password": PASSWORD, "otp": totp_code(self.dispatcher)},
            format="json",
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.json()["token"]), 40)

    def test_wrong_password_is_a_clear_400(self):
        response = self.api().post(
            "/api/v1/auth/token/", {"username": "dan-dispatcher", "password": "nope"}, format="json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("Unable to log in", response.json()["non_field_errors"][0])

    def test_malformed_body_is_a_clear_400(self):
        response = self.api().post("/api/v1/auth/token/", "{not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertIn("JSON parse error", response.json()["detail"])

    def test_anonymous_gets_401_with_reason(self):
        response = self.api().get("/api/v1/cameras/")
        self.assertEqual(response.status_code, 401)
        self.assertIn("credentials", response.json()["detail"])


class CameraListTests(Personas):
    def names(self, user, query=""):
        response = self.api(user).get(f"/api/v1/cameras/{query}")
        self.assertEqual(response.status_code, 200, response.content)
        return [camera["name"] for camera in response.json()["results"]]

    def test_dispatcher_sees_public_and_shared_cameras_of_own_agency(self):
        self.assertEqual(
            sorted(self.names(self.dispatcher)), ["Main St & 1st", "Rita's garage", "Rita's porch"]
        )

    def test_outsider_sees_only_own_agency(self):
        self.assertEqual(self.names(self.outsider), ["Lakeview pier"])

    def test_resident_sees_own_cameras_only(self):
        self.assertEqual(sorted(self.names(self.resident)), ["Rita's garage", "Rita's porch"])
        self.assertEqual(self.names(self.neighbour), ["Ned's yard"])

    def test_fields_of_the_contract(self):
        response = self.api(self.dispatcher).get(f"/api/v1/cameras/{self.live_camera.pk}/")
        body = response.json()
        for field in ["id", "name", "lat", "lon", "status", "consent_level"]:
            self.assertIn(field, body)
        self.assertEqual(body["consent_level"], "live")
        self.assertNotIn("source_url", body)
        self.assertNotIn("srt_passphrase", body)

    def test_near_orders_by_distance_and_cuts_at_radius(self):
        names = self.names(self.dispatcher, "?near=41.8811,-87.6300&radius=200")
        self.assertEqual(names, ["Rita's garage", "Rita's porch", "Main St & 1st"])
        self.assertEqual(self.names(self.dispatcher, "?near=41.8811,-87.6300&radius=50"), ["Rita's garage"])

    def test_bad_near_is_a_400_naming_the_parameter(self):
        for query in ["?near=abc", "?near=91,0", "?near=41.88,-87.63&radius=-5"]:
            response = self.api(self.dispatcher).get(f"/api/v1/cameras/{query}")
            self.assertEqual(response.status_code, 400, query)
            self.assertTrue({"near", "radius"} & set(response.json()), response.json())


class CreatePullCameraTests(Personas):
    def test_admin_adds_a_pull_camera(self):
        response = self.api(self.admin).post(
            "/api/v1/cameras/",
            {
                "name": "Bridge",
                "lat": 41.88,
                "lon": -87.63,
                "source_url": "rtsp://user:pw@93.184.216.34/stream",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        camera = Camera.objects.get(name="Bridge")
        self.assertEqual((camera.agency, camera.source, camera.kind), (self.riverside, "pull", "public"))
        self.assertTrue(AccessEvent.objects.filter(action="camera_change", target_id=str(camera.pk)).exists())

    def test_dispatcher_may_not_add_cameras(self):
        response = self.api(self.dispatcher).post(
            "/api/v1/cameras/",
            {"name": "x", "lat": 1, "lon": 1, "source_url": "rtsp://93.184.216.34/"},
            format="json",
        )
        self.assertEqual(response.status_code, 403)

    def test_forbidden_urls_get_400_with_reason_and_no_row(self):
        bad = [
            "file:///etc/passwd",
            "concat:a|b",
            "subfile:,start,0,end,0,:/etc/passwd",
            "data:text/plain,hi",
            "-i rtsp://93.184.216.34/",
            "rtsp://127.0.0.1/cam",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/x",
            "rtsp://localhost/cam",
            "rtsp://",
        ]
        for url in bad:
            response = self.api(self.admin).post(
                "/api/v1/cameras/",
                {"name": "Bad", "lat": 41.88, "lon": -87.63, "source_url": url},
                format="json",
            )
            self.assertEqual(response.status_code, 400, url)
            self.assertIn("source_url", response.json(), url)
        self.assertFalse(Camera.objects.filter(name="Bad").exists())

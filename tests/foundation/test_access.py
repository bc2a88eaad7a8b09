"""Each persona reaches only what it should, through every endpoint that names a camera."""

from django.contrib.auth.models import Permission
from guardian.shortcuts import assign_perm

from tests.personas import Personas

# (method, path template, body): every API endpoint that names one camera.
CAMERA_ENDPOINTS = [
    ("get", "/api/v1/cameras/{id}/", None),
]


class CrossAgencyIsolationTests(Personas):
    def test_other_agencys_camera_is_not_found_on_every_endpoint(self):
        for method, template, body in CAMERA_ENDPOINTS:
            path = template.format(id=self.street_camera.pk)
            response = getattr(self.api(self.outsider), method)(path, body, format="json")
            self.assertEqual(response.status_code, 404, f"{method} {path}")
            self.assertEqual(response.json(), {"detail": "Not found."})

    def test_outsider_lists_none_of_riverside(self):
        response = self.api(self.outsider).get("/api/v1/cameras/?page_size=500")
        agencies = {camera["agency"] for camera in response.json()["results"]}
        self.assertEqual(agencies, {"lakeview-so"})

    def test_revoked_private_camera_is_hidden_from_its_agency_but_not_its_owner(self):
        path = f"/api/v1/cameras/{self.revoked_camera.pk}/"
        self.assertEqual(self.api(self.dispatcher).get(path).status_code, 404)
        self.assertEqual(self.api(self.neighbour).get(path).status_code, 200)
        self.assertEqual(self.api(self.resident).get(path).status_code, 404)

    def test_per_camera_grant_reaches_exactly_one_camera(self):
        assign_perm("cameras.view_camera", self.outsider, self.street_camera)
        ids = {c["id"] for c in self.api(self.outsider).get("/api/v1/cameras/").json()["results"]}
        self.assertEqual(ids, {self.lakeview_camera.pk, self.street_camera.pk})
        self.assertEqual(
            self.api(self.outsider).get(f"/api/v1/cameras/{self.registry_camera.pk}/").status_code, 404
        )

    def test_model_wide_permission_does_not_open_other_agencies(self):
        self.outsider.user_permissions.add(Permission.objects.get(codename="view_camera"))
        self.assertEqual(
            self.api(self.outsider).get(f"/api/v1/cameras/{self.street_camera.pk}/").status_code, 404
        )

    def test_unknown_api_path_is_json_404(self):
        response = self.api(self.dispatcher).get("/api/v1/nothing-here/")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"detail": "Not found."})


class PageAccessTests(Personas):
    def test_wall_sends_anonymous_visitors_to_sign_in(self):
        response = self.client.get("/wall/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.url.startswith("/accounts/login/"))

    def test_wall_refuses_a_resident(self):
        self.client.force_login(self.resident)
        self.assertEqual(self.client.get("/wall/").status_code, 403)

    def test_public_pages_answer_anonymous_visitors(self):
        for path in [
            "/",
            "/portal/",
            "/transparency/",
            "/accounts/login/",
            "/api/v1/schema/",
            "/api/v1/docs/",
        ]:
            self.assertEqual(self.client.get(path).status_code, 200, path)

    def test_transparency_shows_counts_not_locations(self):
        page = self.client.get("/transparency/").content.decode()
        self.assertIn("Riverside PD", page)
        self.assertNotIn("Rita", page)
        self.assertNotIn(str(self.live_camera.lat), page)

    def test_sign_in_with_wrong_password_is_a_form_error(self):
        response = self.client.post("/accounts/login/", {"username": "dan-dispatcher", "password": "wrong"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Please enter a correct username and password")

    def test_html_404_has_no_traceback(self):
        response = self.client.get("/no/such/page/")
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, "Traceback", status_code=404)

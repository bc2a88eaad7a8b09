"""Each persona reaches only what it should, through every endpoint that names a camera."""

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from guardian.shortcuts import assign_perm

from agencies.models import Incident
from cameras.access import _grants, granted_and_shared
from cameras.footage.models import FootageRequest
from cameras.models import Camera
from cameras.sharing.models import CameraShare, camera_ids_shared_with
from cameras.viewing.models import ViewingSession
from tests.personas import Personas

# (method, path template, body): every endpoint that names one object. {camera} is a
# Riverside camera shared live, {incident} a Riverside incident, {request} a Riverside
# footage request. Each must be "not found" for Lakeview's dispatcher.
FOREIGN_OBJECT_ENDPOINTS = [
    ("get", "/api/v1/cameras/{camera}/", None),
    ("post", "/api/v1/cameras/{camera}/live/", {"purpose": "look", "case_number": "C-1"}),
    ("get", "/api/v1/incidents/{incident}/", None),
    ("patch", "/api/v1/incidents/{incident}/", {"closed": True}),
    ("get", "/api/v1/footage-requests/{request}/", None),
    ("get", "/api/v1/footage-requests/{request}/clip/", None),
    ("get", "/api/v1/portal/cameras/{camera}/", None),
    ("put", "/api/v1/portal/cameras/{camera}/consent/", {"level": "registry"}),
    ("delete", "/api/v1/portal/cameras/{camera}/consent/", None),
    ("post", "/api/v1/portal/footage-requests/{request}/answer/", {"answer": "approve"}),
]


class CrossAgencyIsolationTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.incident = Incident.objects.create(
            agency=cls.riverside,
            external_id="CAD-1",
            kind="robbery",
            lat=cls.riverside.lat,
            lon=cls.riverside.lon,
        )
        cls.footage_request = FootageRequest.objects.create(
            agency=cls.riverside,
            camera=cls.live_camera,
            requested_by=cls.dispatcher,
            case_number="C-1",
            reason="robbery",
            start=timezone.now() - timedelta(hours=2),
            end=timezone.now() - timedelta(hours=1),
        )

    def foreign_paths(self, missing=False):
        ids = {
            "camera": self.live_camera.pk,
            "incident": self.incident.pk,
            "request": self.footage_request.pk,
        }
        if missing:
            ids = dict.fromkeys(ids, 987654)
        for method, template, body in FOREIGN_OBJECT_ENDPOINTS:
            yield method, template.format(**ids), body

    def test_other_agencys_objects_are_not_found_on_every_endpoint(self):
        """404, or a 403 for the role that the same request on a missing id gets too: existence never leaks."""
        client = self.api(self.outsider)
        for (method, path, body), (_, missing_path, _) in zip(
            self.foreign_paths(), self.foreign_paths(missing=True), strict=True
        ):
            response = getattr(client, method)(path, body, format="json")
            on_missing = getattr(client, method)(missing_path, body, format="json")
            self.assertIn(response.status_code, {403, 404}, f"{method} {path}: {response.content[:200]}")
            self.assertEqual(
                (response.status_code, response.json()),
                (on_missing.status_code, on_missing.json()),
                f"{method} {path}",
            )
        snapshot = self.client
        snapshot.force_login(self.outsider)
        self.assertIn(snapshot.get(f"/media/snapshot/{self.live_camera.pk}.jpg").status_code, {403, 404})

    def test_nothing_changed_after_the_outsiders_attempts(self):
        for method, path, body in self.foreign_paths():
            getattr(self.api(self.outsider), method)(path, body, format="json")
        self.incident.refresh_from_db()
        self.footage_request.refresh_from_db()
        self.assertIsNone(self.incident.closed_at)
        self.assertEqual(self.footage_request.status, FootageRequest.Status.PENDING)
        self.assertEqual(self.live_camera.current_consent().level, "live")
        self.assertFalse(ViewingSession.objects.exists())

    def test_a_neighbour_cannot_reach_anothers_camera_through_the_portal(self):
        for method, path, body in self.foreign_paths():
            if "/portal/" in path:
                response = getattr(self.api(self.neighbour), method)(path, body, format="json")
                self.assertEqual(response.status_code, 404, f"{method} {path}")

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

    def test_per_camera_grant_to_a_group_reaches_its_members(self):
        mutual_aid = Group.objects.create(name="Mutual aid")
        self.outsider.groups.add(mutual_aid)
        assign_perm("cameras.view_camera", mutual_aid, self.street_camera)
        ids = {c["id"] for c in self.api(self.outsider).get("/api/v1/cameras/").json()["results"]}
        self.assertEqual(ids, {self.lakeview_camera.pk, self.street_camera.pk})

    def test_grants_and_shares_are_read_as_the_orm_defines_them(self):
        # cameras.access reads both in one written-out statement, for the near query's sake.
        mutual_aid = Group.objects.create(name="Mutual aid")
        self.outsider.groups.add(mutual_aid)
        assign_perm("cameras.view_camera", self.outsider, self.street_camera)
        assign_perm("cameras.view_camera", mutual_aid, self.registry_camera)
        now, hour = timezone.now(), timedelta(hours=1)
        cameras = list(Camera.objects.filter(agency=self.riverside).order_by("pk")[:4])
        windows = [
            (-hour, hour, None),
            (hour, 2 * hour, None),
            (-2 * hour, -hour, None),
            (-hour, hour, -hour / 2),
        ]
        for camera, (starts, ends, revoked) in zip(cameras, windows, strict=True):
            share = CameraShare.objects.create(
                from_agency=self.riverside, to_agency=self.lakeview, starts_at=now + starts, ends_at=now + ends,
                revoked_at=revoked and now + revoked, purpose="aid", authority="Mutual aid 4",
            )  # fmt: skip
            share.cameras.set([camera])
        granted, shared = granted_and_shared(self.outsider, self.lakeview)
        self.assertEqual(granted, sorted([self.street_camera.pk, self.registry_camera.pk]))
        self.assertEqual(granted, sorted(int(pk) for pk, _ in _grants(self.outsider)))
        self.assertEqual(shared, [cameras[0].pk], "only the share in force: not begun, ended or revoked")
        self.assertEqual(
            shared, list(camera_ids_shared_with(self.lakeview.pk).values_list("camera_id", flat=True))
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

from datetime import timedelta

from django.utils import timezone

from agencies.models import Membership
from cameras.wall.models import Layout, WallPush
from cameras.wall.services import pushed_layout
from tests.personas import Personas, make_user


class WallPageTests(Personas):
    def test_anonymous_visitor_is_sent_to_sign_in(self):
        response = self.client.get("/wall/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_dispatcher_gets_the_wall_with_vendored_players(self):
        self.client.force_login(self.dispatcher)
        response = self.client.get("/wall/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "vendor/hls.js/hls.min.js")
        self.assertContains(response, "vendor/leaflet/leaflet.js")
        self.assertContains(response, "tile.openstreetmap.org")

    def test_resident_is_refused(self):
        self.client.force_login(self.resident)
        self.assertEqual(self.client.get("/wall/").status_code, 403)


class LayoutTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.supervisor = make_user("sue-supervisor", cls.riverside, Membership.Role.SUPERVISOR)

    def save(self, user, **body):
        self.client.force_login(user)
        layout = {"name": "Downtown", "grid": 2, "tiles": [self.street_camera.pk, None], **body}
        return self.client.post("/wall/layouts/", layout, content_type="application/json")

    def names(self, user):
        self.client.force_login(user)
        return sorted(layout["name"] for layout in self.client.get("/wall/layouts/").json()["layouts"])

    def test_dispatcher_saves_a_layout_of_their_own(self):
        response = self.save(self.dispatcher)
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(body["tiles"], [self.street_camera.pk, None, None, None])
        self.assertFalse(body["shared"])
        self.assertEqual(self.names(self.dispatcher), ["Downtown"])
        self.assertEqual(self.names(self.supervisor), [])

    def test_saving_under_the_same_name_overwrites(self):
        self.save(self.dispatcher)
        self.save(self.dispatcher, grid=3, tiles=[])
        layout = Layout.objects.get(owner=self.dispatcher)
        self.assertEqual((layout.grid, layout.tiles), (3, [None] * 9))

    def test_shared_layouts_are_for_supervisors_and_seen_by_the_agency(self):
        self.assertEqual(self.save(self.dispatcher, shared=True).status_code, 403)
        self.assertEqual(self.save(self.supervisor, name="Agency", shared=True).status_code, 201)
        self.assertEqual(self.names(self.dispatcher), ["Agency"])
        self.assertEqual(self.names(self.outsider), [])

    def test_bad_layouts_are_refused_with_a_reason(self):
        for body, field in [
            ({"grid": 5}, "grid"),
            ({"name": ""}, "name"),
            ({"tiles": [1, 2, 3, 4, 5]}, "tiles"),
            ({"tiles": ["x"]}, "tiles"),
            ({"tiles": [self.lakeview_camera.pk]}, "tiles"),
            ({"tiles": [self.revoked_camera.pk]}, "tiles"),
        ]:
            response = self.save(self.dispatcher, **body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(field, response.json()["errors"], body)
        self.client.force_login(self.dispatcher)
        response = self.client.post("/wall/layouts/", "{nope", content_type="application/json")
        self.assertEqual(response.status_code, 400)

    def test_supervisor_pushes_a_layout_to_every_wall(self):
        layout_id = self.save(self.supervisor, name="Parade", shared=True).json()["id"]
        response = self.client.post(f"/wall/layouts/{layout_id}/push/")
        self.assertEqual(response.status_code, 201, response.content)
        push = WallPush.objects.get()
        self.assertEqual(
            (push.agency, push.name, push.pushed_by), (self.riverside, "Parade", self.supervisor)
        )

    def test_a_push_holds_twelve_hours_unless_told_and_carries_its_name(self):
        layout_id = self.save(self.supervisor, name="Parade", shared=True).json()["id"]
        body = self.client.post(f"/wall/layouts/{layout_id}/push/").json()
        push = WallPush.objects.get(pk=body["id"])
        self.assertEqual(push.expires_at - push.pushed_at, timedelta(hours=12))
        self.assertEqual(body["expires_at"], push.expires_at.isoformat())
        response = self.client.post(
            f"/wall/layouts/{layout_id}/push/",
            {"name": "Parade, north end", "expires_in_minutes": 90},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        push = WallPush.objects.get(pk=response.json()["id"])
        self.assertEqual(
            (push.name, push.expires_at - push.pushed_at), ("Parade, north end", timedelta(minutes=90))
        )
        self.assertEqual(pushed_layout(self.riverside)["id"], push.pk)

    def test_bad_pushes_are_refused_with_a_reason_and_push_nothing(self):
        layout_id = self.save(self.supervisor, name="Parade", shared=True).json()["id"]
        for body, field in [
            ({"expires_in_minutes": 5}, "expires_in_minutes"),
            ({"expires_in_minutes": 7 * 24 * 60 + 1}, "expires_in_minutes"),
            ({"expires_in_minutes": "60"}, "expires_in_minutes"),
            ({"expires_in_minutes": True}, "expires_in_minutes"),
            ({"expires_in_minutes": 60.0}, "expires_in_minutes"),
            ({"name": ""}, "name"),
            ({"name": "x" * 81}, "name"),
            ({"name": 7}, "name"),
        ]:
            response = self.client.post(
                f"/wall/layouts/{layout_id}/push/", body, content_type="application/json"
            )
            self.assertEqual(response.status_code, 400, body)
            self.assertIn(field, response.json()["errors"], body)
        for raw in ("{nope", "[1]"):
            response = self.client.post(
                f"/wall/layouts/{layout_id}/push/", raw, content_type="application/json"
            )
            self.assertEqual(response.status_code, 400, raw)
        self.assertFalse(WallPush.objects.exists())

    def test_an_expired_push_is_given_to_no_wall(self):
        layout_id = self.save(self.supervisor, name="Parade", shared=True).json()["id"]
        older = self.client.post(f"/wall/layouts/{layout_id}/push/").json()["id"]
        newer = self.client.post(f"/wall/layouts/{layout_id}/push/").json()["id"]
        past = timezone.now() - timedelta(minutes=1)
        WallPush.objects.filter(pk=older).update(pushed_at=past - timedelta(hours=2))
        WallPush.objects.filter(pk=newer).update(pushed_at=past - timedelta(hours=1), expires_at=past)
        # The newest push that still holds is the shared wall; when none holds, there is none.
        self.assertEqual(pushed_layout(self.riverside)["id"], older)
        WallPush.objects.filter(pk=older).update(expires_at=past)
        self.assertIsNone(pushed_layout(self.riverside))

    def test_dispatcher_cannot_push(self):
        layout_id = self.save(self.dispatcher).json()["id"]
        self.assertEqual(self.client.post(f"/wall/layouts/{layout_id}/push/").status_code, 403)
        self.assertFalse(WallPush.objects.exists())

    def test_layouts_of_others_cannot_be_deleted(self):
        layout_id = self.save(self.dispatcher).json()["id"]
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.delete(f"/wall/layouts/{layout_id}/").status_code, 404)
        self.client.force_login(self.supervisor)
        self.assertEqual(self.client.delete(f"/wall/layouts/{layout_id}/").status_code, 404)
        self.client.force_login(self.dispatcher)
        self.assertEqual(self.client.delete(f"/wall/layouts/{layout_id}/").status_code, 204)
        self.assertFalse(Layout.objects.exists())

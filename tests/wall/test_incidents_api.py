from agencies.models import AccessEvent, Membership
from cameras.viewing.models import ViewingSession
from cameras.viewing.services import do_open_viewing_session
from tests.personas import make_user
from tests.wall.fixtures import IncidentPersonas

CALL = {
    "external_id": "CAD-2026-0001",
    "kind": "Shots fired",
    "lat": 41.8801,
    "lon": -87.6301,
    "address": "100 Main St",
    "priority": 1,
}


class IncidentApiTests(IncidentPersonas):
    def open_call(self, user=None, **changes):
        return self.api(user or self.cad).post("/api/v1/incidents/", {**CALL, **changes}, format="json")

    def test_cad_opens_an_incident_with_the_nearest_live_cameras_docked(self):
        response = self.open_call()
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(body["external_id"], "CAD-2026-0001")
        self.assertFalse(body["closed"])
        # Nearest first; the registry-only and revoked cameras never dock.
        self.assertEqual([c["name"] for c in body["cameras"]], ["Main St & 1st", "Rita's porch"])

    def test_cameras_that_cannot_be_seen_live_do_not_dock(self):
        self.street_camera.source = self.street_camera.Source.NONE
        self.street_camera.save(update_fields=["source"])
        self.assertEqual([c["name"] for c in self.open_call().json()["cameras"]], ["Rita's porch"])
        self.riverside.contracts.update(status="ended")
        self.assertEqual(self.open_call(external_id="CAD-2").json()["cameras"], [])

    def test_docking_respects_the_agency_count_and_radius(self):
        self.riverside.incident_camera_count = 1
        self.riverside.save(update_fields=["incident_camera_count"])
        self.assertEqual(len(self.open_call().json()["cameras"]), 1)
        far = self.open_call(external_id="CAD-FAR", lat=41.90, lon=-87.63).json()
        self.assertEqual(far["cameras"], [])

    def test_the_same_cad_id_twice_opens_one_incident(self):
        first = self.open_call()
        second = self.open_call(kind="Changed")
        self.assertEqual(second.status_code, 200)
        self.assertEqual(first.json()["id"], second.json()["id"])
        self.assertEqual(self.riverside.incidents.count(), 1)

    def test_the_same_cad_id_in_another_agency_is_another_incident(self):
        lakeview_cad = make_user("lara-cad", self.lakeview, Membership.Role.CAD)
        self.open_call()
        self.assertEqual(self.open_call(lakeview_cad).status_code, 201)

    def test_dispatcher_may_not_open_incidents(self):
        response = self.open_call(self.dispatcher)
        self.assertEqual(response.status_code, 403)
        self.assertIn("role", response.json()["detail"])

    def test_bad_call_is_a_400_naming_the_field(self):
        response = self.open_call(lat=123, priority=0)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"lat", "priority"})
        self.assertEqual(self.open_call(external_id="").status_code, 400)

    def test_list_shows_only_own_agency(self):
        self.open_call()
        self.assertEqual(len(self.api(self.dispatcher).get("/api/v1/incidents/").json()["results"]), 1)
        self.assertEqual(self.api(self.outsider).get("/api/v1/incidents/").json()["results"], [])
        self.assertEqual(self.api(self.resident).get("/api/v1/incidents/").status_code, 403)

    def test_closing_ends_the_live_sessions_opened_for_it(self):
        incident_id = self.open_call().json()["id"]
        session = do_open_viewing_session(
            self.dispatcher, self.live_camera, purpose="Suspect seen on porch", incident_id=incident_id
        )
        response = self.api(self.cad).patch(
            f"/api/v1/incidents/{incident_id}/", {"closed": True}, format="json"
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertTrue(response.json()["closed"])
        session.refresh_from_db()
        self.assertEqual(session.end_reason, ViewingSession.EndReason.INCIDENT_CLOSED)
        stop = AccessEvent.objects.get(action=AccessEvent.Action.VIEW_STOP)
        self.assertEqual(stop.incident_id, incident_id)
        self.assertEqual(stop.purpose, "Suspect seen on porch")

    def test_closing_twice_is_harmless_and_reopening_is_refused(self):
        incident_id = self.open_call().json()["id"]
        url = f"/api/v1/incidents/{incident_id}/"
        self.assertEqual(self.api(self.cad).patch(url, {"closed": True}, format="json").status_code, 200)
        self.assertEqual(self.api(self.cad).patch(url, {"closed": True}, format="json").status_code, 200)
        self.assertEqual(self.api(self.cad).patch(url, {"closed": False}, format="json").status_code, 400)

    def test_other_agency_cannot_close_it(self):
        lakeview_cad = make_user("lara-cad", self.lakeview, Membership.Role.CAD)
        incident_id = self.open_call().json()["id"]
        response = self.api(lakeview_cad).patch(
            f"/api/v1/incidents/{incident_id}/", {"closed": True}, format="json"
        )
        self.assertEqual(response.status_code, 404)

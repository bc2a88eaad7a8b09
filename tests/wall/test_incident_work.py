"""Acknowledging and dismissing an incident: once, audited, by the agency's video roles only."""

from agencies.models import AccessEvent, Incident, Membership
from cameras.wall.services import open_incidents
from tests.personas import make_user
from tests.wall.fixtures import IncidentPersonas

CALL = {"external_id": "CAD-7", "kind": "Robbery", "lat": 41.8801, "lon": -87.6301, "address": "1 Main St"}


class IncidentWorkTests(IncidentPersonas):
    def open_call(self, **changes) -> dict:
        response = self.api(self.cad).post("/api/v1/incidents/", {**CALL, **changes}, format="json")
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()

    def work(self, incident_id, change, user=None):
        return self.api(user or self.dispatcher).post(f"/api/v1/incidents/{incident_id}/{change}/")

    def lines(self, incident_id):
        return AccessEvent.objects.filter(
            action=AccessEvent.Action.RECORD_CHANGE, target_type="incident", target_id=str(incident_id)
        )

    def test_a_dispatcher_acknowledges_once_and_it_is_audited_once(self):
        incident = self.open_call()
        first = self.work(incident["id"], "acknowledge")
        self.assertEqual(first.status_code, 200, first.content)
        self.assertEqual(first.json()["acknowledged_by"], self.dispatcher.username)
        self.assertIsNotNone(first.json()["acknowledged_at"])
        again = self.work(incident["id"], "acknowledge", make_user("dora-dispatcher", self.riverside))
        self.assertEqual(again.status_code, 200)
        # The first one who took it stays on record; the second click changes nothing.
        self.assertEqual(again.json()["acknowledged_by"], self.dispatcher.username)
        [line] = self.lines(incident["id"])
        self.assertEqual(line.actor, self.dispatcher)
        self.assertEqual(line.detail["change"], "acknowledged")

    def test_a_dismissed_incident_leaves_the_walls_but_stays_open(self):
        incident = self.open_call()
        self.assertEqual(self.work(incident["id"], "dismiss").status_code, 200)
        self.assertEqual(open_incidents(self.riverside), [])
        self.assertIsNone(Incident.objects.get(pk=incident["id"]).closed_at)
        self.assertEqual([line.detail["change"] for line in self.lines(incident["id"])], ["dismissed"])

    def test_closed_incidents_are_refused_with_a_reason(self):
        incident = self.open_call()
        self.api(self.cad).patch(f"/api/v1/incidents/{incident['id']}/", {"closed": True}, format="json")
        response = self.work(incident["id"], "acknowledge")
        self.assertEqual(response.status_code, 400)
        self.assertIn("closed", str(response.json()))
        self.assertFalse(self.lines(incident["id"]).filter(detail__change="acknowledged").exists())

    def test_roles_without_video_and_other_agencies_may_not(self):
        incident = self.open_call()
        oversight = make_user("otto-oversight", self.riverside, Membership.Role.OVERSIGHT)
        self.assertEqual(self.work(incident["id"], "acknowledge", oversight).status_code, 403)
        self.assertEqual(self.work(incident["id"], "dismiss", self.cad).status_code, 403)
        # Another agency's incident is not found, as every object out of reach.
        self.assertEqual(self.work(incident["id"], "acknowledge", self.outsider).status_code, 404)
        self.assertEqual(self.api().post(f"/api/v1/incidents/{incident['id']}/acknowledge/").status_code, 401)
        self.assertFalse(self.lines(incident["id"]).exists())

    def test_the_wall_lists_the_most_urgent_then_the_longest_waiting(self):
        low = self.open_call(external_id="A", priority=4)
        first_p1 = self.open_call(external_id="B", priority=1)
        second_p1 = self.open_call(external_id="C", priority=1)
        two = self.open_call(external_id="D", priority=2)
        order = [incident["id"] for incident in open_incidents(self.riverside)]
        self.assertEqual(order, [first_p1["id"], second_p1["id"], two["id"], low["id"]])

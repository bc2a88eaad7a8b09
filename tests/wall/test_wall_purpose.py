"""The wall's working purpose, kept for the sign-in: stated once, checked, ended with its incident."""

import json

from agencies.incidents import do_close_incident, do_open_incident
from tests.personas import SignedInClient
from tests.wall.fixtures import IncidentPersonas


class WallPurposeTests(IncidentPersonas):
    def setUp(self):
        self.client = SignedInClient()
        self.client.force_login(self.dispatcher)

    def put(self, body):
        return self.client.put("/wall/purpose/", json.dumps(body), content_type="application/json")

    def current(self):
        return self.client.get("/wall/purpose/").json()["purpose"]

    def test_a_case_number_and_reason_hold_for_the_sign_in_and_reach_the_page(self):
        self.assertIsNone(self.current())
        response = self.put({"case_number": "RPD-1", "reason": "Stolen van"})
        self.assertEqual(response.status_code, 200, response.content)
        expected = {"purpose": "Stolen van", "case_number": "RPD-1", "label": "Case RPD-1: Stolen van"}
        self.assertEqual(self.current(), expected)
        page = self.client.get("/wall/")
        config = json.loads(
            page.content.decode().split('id="wall-config" type="application/json">')[1].split("<")[0]
        )
        self.assertEqual(config["purpose"], expected)

    def test_an_incident_purpose_ends_when_the_incident_closes(self):
        incident, _ = do_open_incident(
            self.cad, self.riverside, external_id="X1", kind="Fire", lat=41.88, lon=-87.63
        )
        response = self.put({"incident": incident.pk})
        self.assertEqual(response.json()["purpose"]["incident"], incident.pk)
        self.assertIn("Fire", response.json()["purpose"]["label"])
        do_close_incident(self.cad, incident)
        self.assertIsNone(self.current())

    def test_bad_purposes_get_a_reason(self):
        foreign, _ = do_open_incident(
            self.cad, self.lakeview, external_id="L1", kind="Theft", lat=42.0, lon=-87.0
        )
        for body, field in [
            ({}, "case_number"),
            ({"case_number": "RPD-1"}, "reason"),
            ({"case_number": ["x"], "reason": "r"}, "purpose"),
            ({"incident": foreign.pk}, "incident"),
            ({"incident": "1; drop"}, "incident"),
            ({"incident": True}, "incident"),
            ([], "purpose"),
        ]:
            with self.subTest(body=body):
                response = self.put(body)
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(field, response.json()["errors"])
        self.assertIsNone(self.current())

    def test_only_members_who_watch_video_keep_one(self):
        self.client.force_login(self.resident)
        self.assertEqual(self.put({"case_number": "RPD-1", "reason": "x"}).status_code, 403)

    def test_delete_ends_it(self):
        self.put({"case_number": "RPD-1", "reason": "Stolen van"})
        self.assertEqual(self.client.delete("/wall/purpose/").status_code, 204)
        self.assertIsNone(self.current())

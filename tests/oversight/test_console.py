import re

from agencies.models import AccessEvent, Membership
from tests.oversight.helpers import A, OversightPersonas
from tests.personas import make_user


class ConsoleTests(OversightPersonas):
    """The /oversight/ page: its filters, viewing hours, exports and the chain check, as rendered."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.refused = cls.line(
            cls.dispatcher, A.VIEW_START, cls.revoked_camera, hours_ago=3,
            outcome=AccessEvent.Outcome.DENIED, detail={"reason": "no live consent"},
        )  # fmt: skip
        cls.view = cls.line(cls.dispatcher, A.VIEW_START, cls.live_camera, hours_ago=2, case_number="24-77")
        # Two hours closed, plus one session still open for the last half hour.
        cls.session(cls.dispatcher, cls.live_camera, start_hours_ago=5, hours=2, case_number="24-77")
        cls.session(
            cls.admin, cls.live_camera, start_hours_ago=0.5, incident=cls.incident, purpose="burglary"
        )

    def setUp(self):
        self.client.force_login(self.auditor)

    def test_oversight_lands_on_the_console_not_a_403(self):
        response = self.client.get("/", follow=True)
        self.assertEqual(response.redirect_chain[-1][0], "/oversight/")
        self.assertEqual(response.status_code, 200)

    def test_dispatchers_are_refused(self):
        self.client.force_login(self.dispatcher)
        self.assertEqual(self.client.get("/oversight/").status_code, 403)

    def test_filters_select_the_lines_made_here(self):
        page = self.client.get("/oversight/", {"outcome": "denied"}).content.decode()
        audit = page.split("<h2>Audit trail</h2>")[1].split("</table>")[0]
        self.assertIn("Ned&#x27;s yard", audit)
        self.assertNotIn("Rita&#x27;s porch", audit)
        page = self.client.get("/oversight/", {"case_number": "24-77"}).content.decode()
        audit = page.split("<h2>Audit trail</h2>")[1].split("</table>")[0]
        self.assertIn("Rita&#x27;s porch", audit)
        self.assertNotIn("Ned&#x27;s yard", audit)

    def test_a_bad_filter_is_a_400_that_says_why(self):
        response = self.client.get("/oversight/", {"since": "last tuesday"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "is not an ISO 8601 date", status_code=400)

    def test_the_page_shows_the_verified_chain_refusals_and_hours(self):
        response = self.client.get("/oversight/")
        head = self.riverside.access_events.order_by("-sequence").first()
        self.assertContains(response, f"verified through row {head.sequence}, head")
        self.assertContains(response, head.digest)
        self.assertContains(response, "no live consent")
        hours = response.context["hours"]
        by_user = {row["label"]: (row["sessions"], row["hours"]) for row in hours["per_user"]}
        self.assertEqual(by_user["dan-dispatcher"], (1, 2.0))
        self.assertAlmostEqual(by_user["alice-admin"][1], 0.5, delta=0.02)
        self.assertEqual(hours["per_camera"][0]["label"], "Rita's porch")
        self.assertEqual(hours["per_camera"][0]["sessions"], 2)

    def test_the_page_carries_no_inline_script_or_style(self):
        page = self.client.get("/oversight/").content.decode()
        self.assertIsNone(re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son\w+=", page))

    def test_an_annotation_is_a_new_line_and_the_old_one_is_unchanged(self):
        before = AccessEvent.objects.get(pk=self.view.pk)
        response = self.client.post(
            f"/oversight/lines/{self.view.sequence}/",
            {"note": "checked with the sergeant", "incident": self.incident.pk},
        )
        self.assertEqual(response.status_code, 302)
        note = AccessEvent.objects.filter(agency=self.riverside).order_by("-sequence").first()
        self.assertEqual(
            (note.action, note.actor, note.incident), (A.ANNOTATION, self.auditor, self.incident)
        )
        self.assertEqual(
            note.detail["annotates"], {"sequence": self.view.sequence, "digest": self.view.digest}
        )
        after = AccessEvent.objects.get(pk=self.view.pk)
        self.assertEqual(
            (after.digest, after.purpose, after.detail), (before.digest, before.purpose, before.detail)
        )
        self.assertContains(
            self.client.get(f"/oversight/lines/{self.view.sequence}/"), "checked with the sergeant"
        )

    def test_an_empty_annotation_is_refused_with_the_reason(self):
        response = self.client.post(f"/oversight/lines/{self.view.sequence}/", {"note": " "})
        self.assertContains(response, "Write a note or choose an incident.", status_code=400)

    def test_csv_export_follows_the_filters_and_defuses_formulas(self):
        self.line(self.dispatcher, A.CAMERA_CHANGE, self.street_camera, purpose="=HYPERLINK(1)")
        response = self.client.get("/oversight/audit.csv", {"action": "camera_change"})
        body = b"".join(response.streaming_content).decode()
        lines = body.strip().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertIn("'=HYPERLINK(1)", lines[1])

    def test_another_agencys_oversight_sees_none_of_these_lines(self):
        self.client.force_login(
            make_user("lara-lakeview-oversight", self.lakeview, Membership.Role.OVERSIGHT)
        )
        page = self.client.get("/oversight/").content.decode()
        self.assertNotIn("Rita&#x27;s porch", page)
        self.assertNotIn("dan-dispatcher", page)

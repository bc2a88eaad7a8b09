from datetime import timedelta

from agencies.models import AccessEvent, Membership
from tests.oversight.helpers import OversightPersonas
from tests.personas import make_user

A = AccessEvent.Action


class AuditApiTests(OversightPersonas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.old_view = cls.line(
            cls.dispatcher, A.VIEW_START, cls.live_camera, hours_ago=72, case_number="24-001"
        )
        cls.street_view = cls.line(
            cls.dispatcher,
            A.VIEW_START,
            cls.street_camera,
            hours_ago=5,
            incident=cls.incident,
            purpose="burglary",
        )
        cls.refused = cls.line(
            cls.admin,
            A.VIEW_START,
            cls.revoked_camera,
            hours_ago=2,
            outcome=AccessEvent.Outcome.DENIED,
            purpose="curious",
        )
        cls.export = cls.line(cls.admin, A.EXPORT, cls.live_camera, hours_ago=1, case_number="24-001")
        cls.lakeview_line = AccessEvent.objects.create(
            actor=cls.outsider, actor_name=cls.outsider.username, agency=cls.lakeview, action=A.VIEW_START
        )

    def ids(self, response):
        self.assertEqual(response.status_code, 200, response.content)
        return {row["id"] for row in response.json()["results"]}

    def get(self, caller=None, /, **params):
        return self.api(caller or self.auditor).get("/api/v1/audit/", params)

    def test_oversight_reads_only_its_agencys_lines(self):
        ids = self.ids(self.get())
        self.assertIn(self.old_view.pk, ids)
        self.assertNotIn(self.lakeview_line.pk, ids)

    def test_agency_admin_reads_the_trail_too(self):
        self.assertIn(self.export.pk, self.ids(self.get(self.admin)))

    def test_dispatchers_residents_and_strangers_are_refused(self):
        self.assertEqual(self.get(self.dispatcher).status_code, 403)
        self.assertEqual(self.get(self.resident).status_code, 403)
        self.assertIn(self.api().get("/api/v1/audit/").status_code, (401, 403))

    def test_each_filter_selects_the_lines_made_here(self):
        cases = {
            "camera": ({"camera": self.street_camera.pk}, {self.street_view.pk}),
            "user": ({"user": self.admin.username}, {self.refused.pk, self.export.pk}),
            "action": ({"action": "export"}, {self.export.pk}),
            "case_number": ({"case_number": "24-001"}, {self.old_view.pk, self.export.pk}),
            "purpose": ({"purpose": "BURGL"}, {self.street_view.pk}),
            "incident": ({"incident": self.incident.pk}, {self.street_view.pk}),
            "outcome": ({"outcome": "denied"}, {self.refused.pk}),
        }
        for name, (params, expected) in cases.items():
            with self.subTest(name):
                self.assertEqual(self.ids(self.get(**params)), expected)

    def test_since_and_until_bound_the_window(self):
        day_ago = (self.now - timedelta(hours=24)).isoformat()
        recent = {self.street_view.pk, self.refused.pk, self.export.pk}
        self.assertEqual(self.ids(self.get(since=day_ago)) & self.ours(), recent)
        self.assertEqual(self.ids(self.get(until=day_ago)) & self.ours(), {self.old_view.pk})
        # A bare date in `until` includes that whole day.
        self.assertIn(self.old_view.pk, self.ids(self.get(until=self.old_view.at.date().isoformat())))

    def ours(self):
        return {self.old_view.pk, self.street_view.pk, self.refused.pk, self.export.pk}

    def test_bad_filter_values_give_400_with_the_reason(self):
        for params in (
            {"since": "yesterday"},
            {"camera": "seven"},
            {"action": "peek"},
            {"outcome": "maybe"},
            {"incident": "-1"},
            {"since": "2026-05-02", "until": "2026-05-01"},
        ):
            with self.subTest(params):
                response = self.get(**params)
                self.assertEqual(response.status_code, 400)
                self.assertIn(next(reversed(params)), response.json())

    def test_superuser_picks_the_agency(self):
        root = make_user("root", is_superuser=True, is_staff=True)
        self.assertEqual(self.ids(self.get(root, agency="lakeview-so")), {self.lakeview_line.pk})
        self.assertEqual(self.get(root, agency="nowhere").status_code, 400)

    def test_cad_integration_cannot_read_the_audit(self):
        cad = make_user("cad-bot", self.riverside, Membership.Role.CAD)
        self.assertEqual(self.get(cad).status_code, 403)

    def test_the_list_costs_the_same_queries_for_few_lines_or_many(self):
        self.get()  # warm the caller's token and membership caches alike for both runs
        with self.assertNumQueries(4) as few:
            self.get()
        for hours_ago in range(40):
            self.line(
                self.dispatcher, A.VIEW_START, self.live_camera, hours_ago=hours_ago, incident=self.incident
            )
        with self.assertNumQueries(len(few.captured_queries)):
            self.get()

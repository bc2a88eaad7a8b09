"""Every figure of the annual report equals a count made here straight from the rows."""

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

from django.db import connection

from agencies.models import AccessEvent
from billing.models import Contract, Invoice, InvoiceLine, Package
from cameras.footage.models import FootageExport, FootageRequest, RecordingExport
from cameras.models import Camera
from cameras.viewing.models import ViewingSession
from tests.personas import Personas, make_camera

YEAR = 2025
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def at(month, day, hour=12) -> datetime.datetime:
    return datetime.datetime(YEAR, month, day, hour, tzinfo=CHICAGO)


class AnnualReportTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.riverside.use_policy = "Live views need an incident or a case number."
        cls.riverside.oversight_contact = "Riverside Police Oversight Board, oversight@riverside.example"
        cls.riverside.save()
        cls.far_camera = make_camera(cls.riverside, "Harbour gate", lat=41.9123, lon=-87.6011)
        Camera.objects.update(created_at=at(1, 1))  # the report counts cameras that existed in its year
        for day, hours, camera, incident in (
            (3, 2, cls.live_camera, None),
            (4, 1.5, cls.street_camera, None),
            (5, 3, cls.far_camera, "yes"),
        ):
            cls.session(at(3, day), at(3, day) + datetime.timedelta(hours=hours), camera, incident)
        # Straddles New Year: only the part inside the year counts.
        cls.session(at(12, 31, 23), at(12, 31, 23) + datetime.timedelta(hours=4), cls.live_camera, None)
        # Outside the year entirely.
        cls.session(at(6, 1) - datetime.timedelta(days=365), None, cls.live_camera, None)
        for status in ("approved", "approved", "declined", "expired", "pending"):
            request = FootageRequest.objects.create(
                agency=cls.riverside, requested_by=cls.dispatcher, camera=cls.live_camera,
                start=at(4, 1), end=at(4, 1, 13), case_number="25-100", reason="theft", status=status,
                created_at=at(4, 2),
            )  # fmt: skip
            if status == "approved":
                FootageExport.objects.create(
                    request=request, camera=cls.live_camera, file_path="x.mp4", sha256="0" * 64, size=10,
                    manifest={}, created_at=at(4, 3),
                )  # fmt: skip
        for created_at in (
            at(5, 2),
            at(6, 2),
            at(1, 1) - datetime.timedelta(days=1),
        ):  # the last one, the year before
            RecordingExport.objects.create(
                agency=cls.riverside, camera=cls.street_camera, exported_by=cls.dispatcher, start=at(5, 1),
                end=at(5, 1, 13), case_number="25-200", reason="collision", file_path="e.mp4", sha256="1" * 64,
                size=10, manifest={}, created_at=created_at,
            )  # fmt: skip
        events = [
            (AccessEvent.Action.VIEW_START, AccessEvent.Outcome.DENIED, {}),
            (AccessEvent.Action.LIVE_URL, AccessEvent.Outcome.DENIED, {}),
            (AccessEvent.Action.DELETION, AccessEvent.Outcome.ALLOWED, {"segments": 40, "bytes": 4000}),
            (AccessEvent.Action.DELETION, AccessEvent.Outcome.ALLOWED, {"segments": 2, "bytes": 300}),
        ]
        for month, (action, outcome, detail) in enumerate(events, start=5):
            AccessEvent.objects.create(
                agency=cls.riverside, action=action, outcome=outcome, detail=detail, at=at(month, 1)
            )
        package = Package.objects.create(slug="live", name="Live", price_per_device_year=Decimal("750.00"))
        contract = Contract.objects.create(
            agency=cls.riverside, package=package, reference="RIV-2025", starts_on=datetime.date(2025, 1, 1),
            ends_on=datetime.date(2026, 12, 31), device_quota=10, price_per_device_year=Decimal("700.00"),
            status=Contract.Status.ACTIVE,
        )  # fmt: skip
        for number, status, quarter in (("I-1", "paid", 1), ("I-2", "issued", 2), ("I-3", "void", 3)):
            invoice = Invoice.objects.create(
                contract=contract, number=number, status=status,
                period_start=datetime.date(YEAR, quarter * 3 - 2, 1), period_end=datetime.date(YEAR, quarter * 3, 28),
            )  # fmt: skip
            InvoiceLine.objects.create(
                invoice=invoice, description="devices", quantity=Decimal("2.5"), unit_price=Decimal("175.01")
            )

    @classmethod
    def session(cls, started, ended, camera, incident):
        if incident:
            incident = cls.riverside.incidents.create(
                external_id=f"CAD-{started:%j}", kind="x", lat=41.88, lon=-87.63
            )
        ViewingSession.objects.create(
            user=cls.dispatcher, agency=cls.riverside, camera=camera, purpose="p", incident=incident or None,
            case_number="" if incident else "25-1", started_at=started,
            expires_at=(ended or started) + datetime.timedelta(hours=1), ended_at=ended or started,
        )  # fmt: skip

    def fetch(self, suffix=".json"):
        response = self.client.get(f"/transparency/riverside-pd/report/{YEAR}{suffix}")
        self.assertEqual(response.status_code, 200)
        return response

    def raw(self, sql, *params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def raw_hours(self, where="1=1"):
        """Sessions and hours in the year, clipped to it, summed in Python over the raw rows."""
        start, end = at(1, 1, 0), datetime.datetime(YEAR + 1, 1, 1, tzinfo=CHICAGO)
        ids = self.raw(
            "SELECT s.id FROM agencies_viewingsession s "
            f"JOIN cameras_camera c ON c.id = s.camera_id WHERE s.agency_id = %s AND {where}",  # noqa: S608
            self.riverside.pk,
        )
        count, hours = 0, 0.0
        # Through the ORM only to read the times as aware datetimes on SQLite and PostgreSQL alike.
        for started, ended in ViewingSession.objects.filter(pk__in=[i for (i,) in ids]).values_list(
            "started_at", "ended_at"
        ):
            if ended <= start or started >= end:
                continue
            count += 1
            hours += (min(ended, end) - max(started, start)).total_seconds() / 3600
        return {"sessions": count, "hours": round(hours, 2)}

    def test_viewing_figures_equal_the_sessions(self):
        viewing = self.fetch().json()["viewing"]
        self.assertEqual({"sessions": viewing["sessions"], "hours": viewing["hours"]}, self.raw_hours())
        self.assertEqual(viewing["hours"], 2 + 1.5 + 3 + 1)  # the New Year session counts its first hour
        self.assertEqual(viewing["by_purpose"]["incident"], self.raw_hours("s.incident_id IS NOT NULL"))
        self.assertEqual(viewing["by_purpose"]["case_number"], self.raw_hours("s.incident_id IS NULL"))
        self.assertEqual(viewing["by_camera_kind"]["public"], self.raw_hours("c.kind = 'public'"))
        self.assertEqual(viewing["by_camera_kind"]["private"], self.raw_hours("c.kind = 'private'"))

    def test_footage_figures_equal_the_requests_and_exports(self):
        footage = self.fetch().json()["footage"]
        rows = self.raw(
            "SELECT status, COUNT(*) FROM cameras_footagerequest WHERE agency_id = %s GROUP BY status",
            self.riverside.pk,
        )
        self.assertEqual(footage["requests_made"], sum(n for _status, n in rows))
        for status, n in rows:
            self.assertEqual(footage[f"requests_{status}"], n)
        self.assertEqual(footage["exports"], self.raw("SELECT COUNT(*) FROM cameras_footageexport")[0][0])
        self.assertEqual(
            (footage["requests_approved"], footage["requests_declined"], footage["exports"]), (2, 1, 2)
        )
        self.assertEqual(footage["agency_camera_exports"], 2)

    def test_cameras_are_counted_by_cell_without_an_address(self):
        report = self.fetch().json()
        cells = {cell["cell"]: cell for cell in report["cameras_by_area"]["cells"]}
        self.assertEqual(
            sum(c["public"] + c["private"] for c in cells.values()),
            Camera.objects.filter(agency=self.riverside).count(),
        )
        self.assertEqual(cells["41.91,-87.61"]["public"], 1)
        body = self.fetch("").content.decode() + self.fetch(".csv").content.decode() + str(report)
        for camera in Camera.objects.filter(kind=Camera.Kind.PRIVATE):
            self.assertNotIn(camera.name, body)
            self.assertNotIn(f"{camera.lat}", body)

    def test_audit_figures_equal_the_lines(self):
        audit = self.fetch().json()["audit"]
        denied = self.raw(
            "SELECT COUNT(*) FROM agencies_accessevent WHERE agency_id = %s AND outcome = 'denied'",
            self.riverside.pk,
        )
        self.assertEqual(audit["refused_attempts"], denied[0][0])
        self.assertEqual(audit["retention_deletions"], {"runs": 2, "segments": 42, "bytes": 4300})
        self.assertTrue(audit["chain"]["intact"])
        self.assertEqual(
            audit["chain"]["rows_checked"], AccessEvent.objects.filter(agency=self.riverside).count()
        )

    def test_cost_is_the_sum_of_billed_invoice_lines(self):
        cost = self.fetch().json()["cost"]
        lines = InvoiceLine.objects.filter(invoice__status__in=["issued", "paid"])
        self.assertEqual(Decimal(cost["invoiced"]), sum(line.amount for line in lines))
        self.assertEqual(Decimal(cost["invoiced"]), Decimal("875.06"))  # 2 x 437.525 rounded half up
        self.assertEqual([c["reference"] for c in cost["contracts"]], ["RIV-2025"])

    def test_policy_and_contact_are_published(self):
        policy = self.fetch().json()["policy"]
        self.assertEqual(policy["oversight_contact"], self.riverside.oversight_contact)
        self.assertContains(self.fetch(""), "Live views need an incident or a case number.")

    def test_csv_holds_the_same_figures(self):
        rows = dict(csv.reader(io.StringIO(self.fetch(".csv").content.decode())))
        report = self.fetch().json()
        self.assertEqual(rows["viewing.hours"], str(report["viewing"]["hours"]))
        self.assertEqual(rows["footage.requests_made"], "5")
        self.assertEqual(rows["cost.contracts.0.reference"], "RIV-2025")

    def test_unknown_agency_or_future_year_is_not_found(self):
        self.assertEqual(self.client.get("/transparency/nowhere/report/2025.json").status_code, 404)
        self.assertEqual(self.client.get("/transparency/riverside-pd/report/2999").status_code, 404)

    def test_the_period_is_the_agencys_calendar_year(self):
        period = self.fetch().json()["period"]
        self.assertEqual(
            (period["start"], period["end"], period["last_day"], period["complete"]),
            ("2025-01-01T00:00:00-06:00", "2026-01-01T00:00:00-06:00", "2025-12-31", True),
        )

    def test_the_remaining_counts_equal_the_rows(self):
        report = self.fetch().json()
        start, end = at(1, 1, 0), datetime.datetime(YEAR + 1, 1, 1, tzinfo=CHICAGO)
        lines = self.raw(
            "SELECT action, outcome FROM agencies_accessevent WHERE agency_id = %s AND at >= %s AND at < %s",
            self.riverside.pk,
            start,
            end,
        )
        self.assertEqual(report["audit"]["audit_lines"], len(lines))
        refused: dict = {}
        for action, outcome in lines:
            if outcome == "denied":
                refused[action] = refused.get(action, 0) + 1
        self.assertEqual(report["audit"]["refused_by_action"], refused)
        delivered = self.raw("SELECT COUNT(*) FROM cameras_footageexport WHERE delivered = %s", True)
        self.assertEqual(report["footage"]["exports_delivered"], delivered[0][0])
        billed = self.raw(
            "SELECT i.id FROM billing_invoice i WHERE i.status IN ('issued', 'paid') AND i.period_start >= %s "
            "AND i.period_start <= %s",
            datetime.date(YEAR, 1, 1),
            datetime.date(YEAR, 12, 31),
        )
        self.assertEqual(report["cost"]["invoices"], len(billed))
        invoice_lines = self.raw(
            "SELECT COUNT(*) FROM billing_invoiceline WHERE invoice_id IN (%s, %s)", *[i for (i,) in billed]
        )
        self.assertEqual(report["cost"]["invoice_lines"], invoice_lines[0][0])
        self.assertEqual((report["cost"]["invoices"], report["audit"]["audit_lines"]), (2, 4))

"""The annual report's sharing, records and overrides equal counts made here straight from the rows."""

import datetime
import zoneinfo

from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import AccessEvent, OversightRecord
from cameras.sharing.models import CameraShare
from cameras.viewing.models import ViewingSession
from tests.personas import Personas, make_camera

YEAR = 2025
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def at(month, day, hour=12, year=YEAR) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=CHICAGO)


class ReportSharingTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.gate = make_camera(cls.riverside, "Harbour gate")
        cls.share(cls.riverside, cls.lakeview, [cls.street_camera, cls.gate], at(2, 1), at(2, 20), live=True)
        cls.share(
            cls.riverside, cls.lakeview, [cls.gate], at(6, 1), at(8, 1), recorded=True, revoked=at(6, 5)
        )
        cls.share(
            cls.riverside, cls.lakeview, [cls.gate], at(3, 1, year=2024), at(3, 2, year=2024)
        )  # not this year
        cls.share(cls.lakeview, cls.riverside, [cls.lakeview_camera], at(12, 30), at(1, 5, year=2026))
        # Lakeview's looks at Riverside's cameras: two this year (one across New Year), one the year before.
        for started, hours in ((at(2, 2), 2), (at(12, 31, 23), 3), (at(2, 2, year=2024), 1)):
            ViewingSession.objects.create(
                user=cls.outsider, agency=cls.lakeview, camera=cls.street_camera, purpose="aid",
                case_number="L-1", started_at=started, expires_at=started + datetime.timedelta(hours=9),
                ended_at=started + datetime.timedelta(hours=hours),
            )  # fmt: skip
        for kind, day in (
            ("complaint", (3, 1)),
            ("complaint", (4, 1)),
            ("breach", (5, 1)),
            ("violation", (9, 9)),
        ):
            OversightRecord.objects.create(
                agency=cls.riverside, kind=kind, occurred_on=datetime.date(YEAR, *day), summary="s"
            )
        OversightRecord.objects.create(
            agency=cls.riverside, kind="breach", occurred_on=datetime.date(2024, 5, 1), summary="s"
        )
        OversightRecord.objects.create(
            agency=cls.lakeview, kind="breach", occurred_on=datetime.date(YEAR, 5, 1), summary="s"
        )
        for when in (at(3, 3), at(10, 10), at(5, 5, year=2024)):
            AccessEvent.objects.create(
                agency=cls.riverside, action=AccessEvent.Action.PLATFORM_OVERRIDE, at=when
            )

    @classmethod
    def share(cls, giver, receiver, cameras, starts, ends, *, live=False, recorded=False, revoked=None):
        share = CameraShare.objects.create(
            from_agency=giver, to_agency=receiver, starts_at=starts, ends_at=ends, purpose=f"aid {starts:%Y-%m}",
            authority="Mutual aid 4", live=live or not recorded, recorded=recorded, revoked_at=revoked,
        )  # fmt: skip
        share.cameras.set(cameras)

    def fetch(self):
        response = self.client.get(f"/transparency/riverside-pd/report/{YEAR}.json")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def raw(self, sql, *params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def test_shares_equal_the_share_rows_overlapping_the_year(self):
        sharing = self.fetch()["sharing"]
        start, end = at(1, 1, 0), at(1, 1, 0, year=YEAR + 1)
        rows = [
            (pk, giver, receiver)
            for pk, giver, receiver, starts, ends, revoked in CameraShare.objects.values_list(
                "pk", "from_agency_id", "to_agency_id", "starts_at", "ends_at", "revoked_at"
            )
            if starts < end and min(ends, revoked or ends) > start
        ]
        given = [pk for pk, giver, _ in rows if giver == self.riverside.pk]
        received = [pk for pk, _, receiver in rows if receiver == self.riverside.pk]
        self.assertEqual((sharing["shares_given"], sharing["shares_received"]), (len(given), len(received)))
        self.assertEqual([row["share"] for row in sharing["given"]], sorted(given))
        self.assertEqual((len(given), len(received)), (2, 1))
        cameras = dict(
            self.raw(
                "SELECT camerashare_id, COUNT(*) FROM cameras_camerashare_cameras GROUP BY camerashare_id"
            )
        )
        for row in sharing["given"] + sharing["received"]:
            self.assertEqual(row["cameras"], cameras[row["share"]])
            self.assertEqual(len(row["camera_ids"]), cameras[row["share"]])
        revoked = next(row for row in sharing["given"] if row["revoked_at"])
        self.assertEqual((revoked["scope"], revoked["authority"]), (["recorded"], "Mutual aid 4"))
        self.assertEqual(sharing["agencies_shared_with"], ["lakeview-so"])
        self.assertEqual(sharing["received"][0]["agency"], "lakeview-so")

    def test_other_agencies_viewing_equals_their_sessions_on_its_cameras(self):
        used = self.fetch()["sharing"]["viewing_by_other_agencies"]
        start, end = at(1, 1, 0), at(1, 1, 0, year=YEAR + 1)
        ids = [
            pk
            for (pk,) in self.raw(
                "SELECT s.id FROM agencies_viewingsession s JOIN cameras_camera c ON c.id = s.camera_id "
                "WHERE c.agency_id = %s AND s.agency_id <> %s",
                self.riverside.pk,
                self.riverside.pk,
            )
        ]
        count, hours = 0, 0.0
        for started, ended in ViewingSession.objects.filter(pk__in=ids).values_list("started_at", "ended_at"):
            if started < end and ended > start:
                count += 1
                hours += (min(ended, end) - max(started, start)).total_seconds() / 3600
        self.assertEqual(used, [{"agency": "lakeview-so", "sessions": count, "hours": round(hours, 2)}])
        self.assertEqual((count, round(hours, 2)), (2, 3.0))

    def test_records_equal_the_rows_of_the_year(self):
        records = self.fetch()["records"]
        rows = dict(
            self.raw(
                "SELECT kind, COUNT(*) FROM agencies_oversightrecord WHERE agency_id = %s "
                "AND occurred_on >= %s AND occurred_on <= %s GROUP BY kind",
                self.riverside.pk,
                datetime.date(YEAR, 1, 1),
                datetime.date(YEAR, 12, 31),
            )
        )
        self.assertEqual(
            records,
            {
                "complaints": rows.get("complaint", 0),
                "violations": rows.get("violation", 0),
                "breaches": rows.get("breach", 0),
            },
        )
        self.assertEqual(records, {"complaints": 2, "violations": 1, "breaches": 1})

    def test_admin_overrides_equal_the_override_lines(self):
        overrides = self.fetch()["audit"]["admin_overrides"]
        rows = self.raw(
            "SELECT COUNT(*) FROM agencies_accessevent WHERE agency_id = %s AND action = 'platform_override' "
            "AND at >= %s AND at < %s",
            self.riverside.pk,
            at(1, 1, 0),
            at(1, 1, 0, year=YEAR + 1),
        )
        self.assertEqual(overrides, rows[0][0])
        self.assertEqual(overrides, 2)

    def test_the_page_shows_the_shares_and_records(self):
        page = self.client.get(f"/transparency/riverside-pd/report/{YEAR}")
        self.assertContains(page, "Sharing with other agencies")
        self.assertContains(page, "aid 2025-06")
        self.assertContains(page, "<tr><th>Data breaches</th><td>1</td></tr>", html=True)

    def test_more_shares_cost_no_more_queries(self):
        with CaptureQueriesContext(connection) as before:
            self.fetch()
        for month in (7, 8, 9):
            self.share(
                self.riverside, self.lakeview, [self.gate, self.street_camera], at(month, 1), at(month, 9)
            )
        with CaptureQueriesContext(connection) as after:
            sharing = self.fetch()["sharing"]
        self.assertEqual(sharing["shares_given"], 5)
        self.assertEqual(len(after.captured_queries), len(before.captured_queries))

"""Evidence holds: held recordings survive the retention job until released; both are audited and counted."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError

from agencies.audit import verify_chain
from agencies.models import AccessEvent
from cameras.footage.holds import do_place_evidence_hold, do_release_evidence_hold
from cameras.footage.models import EvidenceHold
from cameras.retention import do_prune_recordings
from cameras.transparency.figures import figures_for
from tests.orders.helpers import use_temporary_media, write_segment
from tests.personas import Personas

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class EvidenceHoldTests(Personas):
    def setUp(self):
        use_temporary_media(self)
        self.riverside.retention_days = 30
        self.riverside.save(update_fields=["retention_days"])
        self.day_old = NOW - timedelta(days=40)
        self.segments = [
            write_segment(self.live_camera, self.day_old + timedelta(seconds=10 * n)) for n in range(6)
        ]

    def hold(self, first: int, last: int, **extra) -> EvidenceHold:
        """A hold over segments first..last (inclusive)."""
        return do_place_evidence_hold(
            self.admin,
            self.live_camera,
            start=self.day_old + timedelta(seconds=10 * first),
            end=self.day_old + timedelta(seconds=10 * last + 5),
            case_number=extra.get("case_number", "RPD-2026-88"),
            reason=extra.get("reason", "Hit and run on Main St"),
        )

    def test_held_footage_survives_the_retention_job_until_released(self):
        hold = self.hold(2, 3)
        self.assertEqual(do_prune_recordings(NOW), 4)
        self.assertEqual([path.exists() for path in self.segments], [False, False, True, True, False, False])
        receipt = AccessEvent.objects.get(
            action=AccessEvent.Action.DELETION, target_id=str(self.live_camera.pk)
        )
        self.assertEqual((receipt.detail["segments"], receipt.detail["kept_under_hold"]), (4, 2))

        self.assertTrue(do_release_evidence_hold(self.admin, hold, reason="Case closed"))
        self.assertFalse(do_release_evidence_hold(self.admin, hold, reason="again"), "released once")
        self.assertEqual(do_prune_recordings(NOW), 2)
        self.assertFalse(any(path.exists() for path in self.segments))

    def test_placing_and_releasing_are_audit_lines_with_the_case(self):
        hold = self.hold(0, 1)
        do_release_evidence_hold(self.admin, hold, reason="Case closed")
        lines = AccessEvent.objects.filter(action=AccessEvent.Action.EVIDENCE_HOLD).order_by("sequence")
        self.assertEqual([line.detail["change"] for line in lines], ["placed", "released"])
        self.assertEqual({line.case_number for line in lines}, {"RPD-2026-88"})
        self.assertEqual(lines[0].purpose, "Hit and run on Main St")
        self.assertEqual(lines[0].actor, self.admin)
        hold.refresh_from_db()
        self.assertEqual((hold.released_by, hold.release_reason), (self.admin, "Case closed"))
        self.assertTrue(verify_chain(self.riverside.pk).intact)

    def test_holds_in_force_are_counted_publicly(self):
        first = self.hold(0, 1)
        self.hold(2, 3, case_number="RPD-2026-89")
        self.assertEqual(figures_for(self.riverside)["holds_in_force"], 2)
        do_release_evidence_hold(self.admin, first, reason="Case closed")
        self.assertEqual(figures_for(self.riverside)["holds_in_force"], 1)
        page = self.client.get("/transparency/")
        self.assertContains(page, "Evidence holds in force</th><td>1<", html=False)
        year = first.placed_at.year
        report = self.client.get(f"/transparency/riverside-pd/report/{year}.json").json()
        holds = EvidenceHold.objects.filter(agency=self.riverside)
        since, until = (datetime.fromisoformat(report["period"][key]) for key in ("start", "end"))
        self.assertEqual(
            report["orders"]["evidence_holds"],
            {
                "placed": holds.filter(placed_at__gte=since, placed_at__lt=until).count(),
                "released": holds.filter(released_at__gte=since, released_at__lt=until).count(),
                "in_force_at_end": holds.filter(released_at__isnull=True).count(),
            },
        )
        self.assertEqual(report["orders"]["evidence_holds"]["placed"], 2)

    def test_a_hold_needs_a_case_a_reason_and_the_right_person(self):
        for fields, key in [
            ({"case_number": " "}, "case_number"),
            ({"reason": ""}, "reason"),
        ]:
            with self.assertRaises(ValidationError) as raised:
                self.hold(0, 1, **fields)
            self.assertIn(key, raised.exception.message_dict)
        with self.assertRaises(PermissionDenied):
            do_place_evidence_hold(
                self.dispatcher,
                self.live_camera,
                start=self.day_old,
                end=NOW,
                case_number="X-1",
                reason="r",
            )
        with self.assertRaises(PermissionDenied):
            do_place_evidence_hold(
                self.outsider, self.live_camera, start=self.day_old, end=NOW, case_number="X-1", reason="r"
            )
        self.assertFalse(EvidenceHold.objects.exists())

    def add_in_admin(self, day: str):
        """The agency admin's hold of 11:00 to 13:00 on `day`, posted in the admin."""
        self.client.force_login(self.admin)
        window = {"start_0": day, "start_1": "11:00:00", "end_0": day, "end_1": "13:00:00"}
        body = {"camera": self.live_camera.pk, "case_number": "RPD-2026-90", "reason": "Robbery", **window}
        return self.client.post("/admin/cameras/evidencehold/add/", body)

    def test_a_hold_of_the_future_is_a_form_error_in_the_admin(self):
        response = self.add_in_admin("2099-01-01")
        self.assertContains(response, "A hold keeps recordings already made")
        self.assertFalse(EvidenceHold.objects.exists())

    def test_an_agency_admin_places_and_releases_a_hold_in_the_admin(self):
        response = self.add_in_admin("2026-10-14")
        self.assertEqual(response.status_code, 302, response.content[:2000])
        hold = EvidenceHold.objects.get()
        self.assertEqual((hold.agency, hold.placed_by), (self.riverside, self.admin))
        response = self.client.post(
            f"/admin/cameras/evidencehold/{hold.pk}/change/", {"release_reason": "Charges dropped"}
        )
        self.assertEqual(response.status_code, 302)
        hold.refresh_from_db()
        self.assertIsNotNone(hold.released_at)
        self.assertEqual(AccessEvent.objects.filter(action=AccessEvent.Action.EVIDENCE_HOLD).count(), 2)

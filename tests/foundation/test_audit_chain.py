from io import StringIO

from django.core.management import CommandError, call_command

from agencies.audit import verify_chain
from agencies.models import AccessEvent, AuditChain
from agencies.services import do_record_access
from tests.personas import Personas


class AuditChainTests(Personas):
    def record(self, n=3):
        for number in range(n):
            do_record_access(
                self.dispatcher, AccessEvent.Action.VIEW_START, self.live_camera, purpose=f"case {number}"
            )

    def test_events_link_into_one_chain_per_agency(self):
        self.record(3)
        do_record_access(self.outsider, AccessEvent.Action.VIEW_START, self.lakeview_camera, purpose="other")
        events = list(AccessEvent.objects.filter(agency=self.riverside).order_by("sequence"))
        self.assertEqual([e.sequence for e in events], [1, 2, 3])
        self.assertEqual(events[1].previous_digest, events[0].digest)
        self.assertEqual(AuditChain.objects.get(key=f"agency-{self.riverside.pk}").head, events[2].digest)
        self.assertEqual(AccessEvent.objects.get(agency=self.lakeview).sequence, 1)
        self.assertTrue(verify_chain(self.riverside.pk).intact)

    def test_a_changed_line_breaks_the_chain_there(self):
        self.record(3)
        second = AccessEvent.objects.get(agency=self.riverside, sequence=2)
        AccessEvent.objects.filter(pk=second.pk).update(
            purpose="nothing to see"
        )  # bypasses save(), as a forger would
        report = verify_chain(self.riverside.pk)
        self.assertEqual((report.broken_at, report.reason), (2, "line 2 was changed after it was written"))

    def test_a_deleted_line_is_found(self):
        self.record(3)
        AccessEvent.objects.filter(agency=self.riverside, sequence=3).delete()
        report = verify_chain(self.riverside.pk)
        self.assertFalse(report.intact)
        self.assertIn("the chain says 3 lines; 2 are left", report.reason)

    def test_command_reports_and_fails_on_a_broken_chain(self):
        self.record(2)
        output = StringIO()
        call_command("verify_audit", stdout=output)
        self.assertIn("riverside-pd: 2 lines, intact", output.getvalue())
        AccessEvent.objects.filter(agency=self.riverside, sequence=1).update(actor_name="someone else")
        with self.assertRaisesMessage(CommandError, "1 audit chain(s) do not hold"):
            call_command("verify_audit", "--agency", "riverside-pd", stdout=StringIO())

    def test_ipv6_addresses_hash_the_same_after_storage(self):
        event = AccessEvent.objects.create(
            action="view_start", agency=self.riverside, source_ip="2001:DB8:0:0::1"
        )
        self.assertEqual(AccessEvent.objects.get(pk=event.pk).source_ip, "2001:db8::1")
        self.assertTrue(verify_chain(self.riverside.pk).intact)


class PublishedHeadTests(Personas):
    def test_transparency_page_publishes_each_chain_head(self):
        event = do_record_access(
            self.dispatcher, AccessEvent.Action.VIEW_START, self.live_camera, purpose="case 9"
        )
        page = self.client.get("/transparency/").content.decode()
        self.assertIn(event.digest, page)
        self.assertNotIn("case 9", page)


class FailedSignInTests(Personas):
    def test_failed_sign_in_is_audited_for_the_accounts_agency(self):
        self.client.post("/accounts/login/", {"username": "dan-dispatcher", "password": "wrong"})
        self.api().post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json")
        mine = AccessEvent.objects.get(action=AccessEvent.Action.SIGN_IN_FAILED, agency=self.riverside)
        self.assertEqual((mine.outcome, mine.detail), ("denied", {"username": "dan-dispatcher"}))
        self.assertEqual(mine.source_ip, "127.0.0.1")
        self.assertTrue(
            AccessEvent.objects.filter(
                action="sign_in_failed", agency=None, detail__username="nobody"
            ).exists()
        )

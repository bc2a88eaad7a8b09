"""Shares and complaint, violation and breach records in the admin: each agency sees its own, writes go through the services."""

from datetime import date, timedelta
from html import escape

from django.utils import timezone

from agencies.models import AccessEvent, OversightRecord
from agencies.services import do_sync_admin_access
from cameras.sharing.models import CameraShare
from tests.orders.helpers import make_superuser
from tests.personas import Personas, make_agency, make_agency_admin

ADD = "/admin/cameras/camerashare/add/"


class ShareAdminTests(Personas):
    def setUp(self):
        self.lakeview_admin = make_agency_admin("lena-lakeview-admin", self.lakeview)
        for user in (self.admin, self.lakeview_admin):
            do_sync_admin_access(user)
        self.starts = timezone.localtime()
        self.ends = self.starts + timedelta(days=3)

    def post_share(self, **fields):
        data = {
            "to_agency": self.lakeview.pk,
            "cameras": [self.street_camera.pk],
            "starts_at_0": self.starts.strftime("%Y-%m-%d"),
            "starts_at_1": self.starts.strftime("%H:%M:%S"),
            "ends_at_0": self.ends.strftime("%Y-%m-%d"),
            "ends_at_1": self.ends.strftime("%H:%M:%S"),
            "purpose": "Festival",
            "authority": "Mutual aid agreement 2026-4",
            "live": "on",
        }
        data.update(fields)
        return self.client.post(ADD, data)

    def test_an_agency_admin_shares_only_their_own_agency_cameras(self):
        self.client.force_login(self.admin)
        page = self.client.get(ADD).content.decode()
        self.assertIn(escape(self.street_camera.name), page)
        self.assertNotIn(escape(self.lakeview_camera.name), page, "another agency's camera is not offered")
        self.assertNotIn(escape(self.live_camera.name), page, "a resident's camera is not offered")
        refused = self.post_share(cameras=[self.lakeview_camera.pk])
        self.assertEqual(refused.status_code, 200)
        self.assertFalse(CameraShare.objects.exists())
        refused = self.post_share(purpose="", live="")
        self.assertContains(refused, "Share live video, recorded video, or both.")
        self.assertFalse(CameraShare.objects.exists())
        response = self.post_share()
        self.assertEqual(response.status_code, 302)
        share = CameraShare.objects.get()
        self.assertEqual(
            (share.from_agency, share.to_agency, share.created_by),
            (self.riverside, self.lakeview, self.admin),
        )
        self.assertEqual(list(share.cameras.all()), [self.street_camera])
        self.assertTrue(AccessEvent.objects.filter(detail__change="share_given", actor=self.admin).exists())

    def test_a_superuser_picks_any_agencys_cameras_by_id(self):
        self.client.force_login(make_superuser())
        page = self.client.get(ADD)
        self.assertContains(page, "vManyToManyRawIdAdminField")
        response = self.post_share(
            from_agency=self.lakeview.pk, to_agency=self.riverside.pk, cameras=str(self.lakeview_camera.pk)
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(list(CameraShare.objects.get().cameras.all()), [self.lakeview_camera])

    def test_the_receiving_admin_reads_the_share_but_only_the_giver_revokes(self):
        self.client.force_login(self.admin)
        self.post_share()
        share = CameraShare.objects.get()
        change = f"/admin/cameras/camerashare/{share.pk}/change/"
        self.client.force_login(self.lakeview_admin)
        self.assertContains(self.client.get("/admin/cameras/camerashare/"), "Riverside PD")
        self.assertEqual(self.client.get(change).status_code, 200)
        self.assertEqual(self.client.post(change, {"revoke_reason": "mine now"}).status_code, 403)
        share.refresh_from_db()
        self.assertIsNone(share.revoked_at)
        self.client.force_login(self.admin)
        self.assertEqual(self.client.post(change, {"revoke_reason": "Festival cancelled"}).status_code, 302)
        share.refresh_from_db()
        self.assertEqual((share.revoked_by, share.revoke_reason), (self.admin, "Festival cancelled"))
        self.assertTrue(AccessEvent.objects.filter(detail__change="share_revoked").exists())
        self.client.force_login(self.lakeview_admin)
        self.assertEqual(self.client.get(f"/admin/cameras/camerashare/{share.pk}/delete/").status_code, 403)
        # A third agency's admin does not see a share between two others.
        harbor_admin = make_agency_admin(
            "hank-harbor-admin", make_agency("harbor-pd", "Harbor PD", (41.7, -87.5))
        )
        do_sync_admin_access(harbor_admin)
        self.client.force_login(harbor_admin)
        self.assertNotContains(self.client.get("/admin/cameras/camerashare/"), "Riverside PD")
        self.assertNotEqual(self.client.get(change).status_code, 200)


class OversightRecordAdminTests(Personas):
    def setUp(self):
        do_sync_admin_access(self.admin)

    def test_an_admin_records_a_breach_once_audited_and_never_edits_it(self):
        self.client.force_login(self.admin)
        add = "/admin/agencies/oversightrecord/add/"
        future = (timezone.localdate() + timedelta(days=2)).isoformat()
        refused = self.client.post(add, {"kind": "breach", "occurred_on": future, "summary": " "})
        self.assertEqual(refused.status_code, 200)
        self.assertFalse(OversightRecord.objects.exists())
        data = {"kind": "breach", "occurred_on": "2026-03-02", "summary": "A laptop with an export was lost."}
        self.assertEqual(self.client.post(add, data).status_code, 302)
        record = OversightRecord.objects.get()
        self.assertEqual(
            (record.agency, record.recorded_by, record.occurred_on),
            (self.riverside, self.admin, date(2026, 3, 2)),
        )
        line = AccessEvent.objects.get(
            action=AccessEvent.Action.RECORD_CHANGE, detail__model="agencies.oversightrecord"
        )
        self.assertEqual((line.agency, line.detail["kind"]), (self.riverside, "breach"))
        change = f"/admin/agencies/oversightrecord/{record.pk}/change/"
        self.client.post(change, {"kind": "complaint", "occurred_on": "2026-03-03", "summary": "changed"})
        record.refresh_from_db()
        self.assertEqual((record.kind, record.summary), ("breach", "A laptop with an export was lost."))
        self.client.force_login(self.dispatcher)
        self.assertEqual(self.client.get(add).status_code, 302)  # not staff: to the sign-in page

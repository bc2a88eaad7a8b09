import datetime
from decimal import Decimal

from billing.models import DeviceSubscription, Invoice, Package
from billing.services import do_draft_invoice
from devices.models import Device
from tests.personas import Personas, make_active_contract, run_admin_action


class InvoiceTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        package = Package.objects.create(slug="live", name="Live", price_per_device_year=Decimal("750.00"))
        cls.contract = make_active_contract(
            cls.riverside, package, "RPD-9", device_quota=2, price_per_device_year=Decimal("730.00")
        )
        cls.second = Device.objects.create(serial="EDGE-0002", agency=cls.riverside)
        DeviceSubscription.objects.create(
            contract=cls.contract, device=cls.device, starts_on=datetime.date(2026, 1, 1)
        )
        DeviceSubscription.objects.create(
            contract=cls.contract,
            device=cls.second,
            starts_on=datetime.date(2026, 7, 1),
            ends_on=datetime.date(2026, 7, 10),
        )

    def test_full_year_and_pro_rata_lines(self):
        invoice = do_draft_invoice(self.contract, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
        lines = list(invoice.lines.order_by("pk"))
        self.assertEqual([line.quantity for line in lines], [Decimal("1.000"), Decimal("0.027")])
        self.assertEqual(invoice.total, Decimal("730.00") + Decimal("19.71"))
        self.assertIn("EDGE-0002, 2026-07-01 to 2026-07-10", lines[1].description)

    def test_one_invoice_per_period(self):
        do_draft_invoice(self.contract, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
        with self.assertRaisesMessage(Exception, "already has an invoice"):
            do_draft_invoice(self.contract, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
        self.assertEqual(Invoice.objects.count(), 1)

    def test_admin_refuses_a_subscription_over_quota(self):
        third = Device.objects.create(serial="EDGE-0003", agency=self.riverside)
        fourth = Device.objects.create(serial="EDGE-0004", agency=self.riverside)
        self.client.force_login(self.admin)
        form = {"contract": self.contract.pk, "starts_on": "2026-08-01", "ends_on": ""}
        ok = self.client.post("/admin/billing/devicesubscription/add/", {**form, "device": third.pk})
        self.assertEqual(ok.status_code, 302)
        refused = self.client.post("/admin/billing/devicesubscription/add/", {**form, "device": fourth.pk})
        self.assertContains(refused, "allows 2 devices and all are in use")
        self.assertFalse(DeviceSubscription.objects.filter(device=fourth).exists())

    def test_admin_action_drafts_invoices(self):
        self.client.force_login(self.admin)
        response = run_admin_action(
            self.client, "/admin/billing/contract/", "draft_invoice_for_this_year", self.contract.pk
        )
        self.assertContains(response, "Drafted INV-RPD-9-")

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from agencies.models import AccessEvent, Incident, Membership
from billing.models import Invoice, InvoiceLine, Package
from cameras.footage.models import FootageRequest
from cameras.models import Consent
from tests.personas import PASSWORD, Personas, camera_admin_form, make_active_contract, make_agency_admin

User = get_user_model()


class AdminScopingTests(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.lakeview_admin = make_agency_admin("larry-lakeview-admin", cls.lakeview)
        cls.root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
        package = Package.objects.create(slug="live", name="Live", price_per_device_year=Decimal("750"))
        for agency, reference in [(cls.riverside, "RPD-1"), (cls.lakeview, "LSO-1")]:
            contract = make_active_contract(agency, package, reference)
            invoice = Invoice.objects.create(
                contract=contract,
                number=f"INV-{reference}",
                period_start="2026-01-01",
                period_end="2026-12-31",
            )
            InvoiceLine.objects.create(
                invoice=invoice, description=f"Devices {reference}", quantity=2, unit_price=Decimal("700")
            )
            Incident.objects.create(
                agency=agency, external_id=f"CAD-{reference}", kind="burglary", lat=agency.lat, lon=agency.lon
            )
            AccessEvent.objects.create(
                agency=agency, action=AccessEvent.Action.VIEW_START, target_label=f"audit {reference}"
            )
            camera = cls.street_camera if agency == cls.riverside else cls.lakeview_camera
            FootageRequest.objects.create(
                agency=agency,
                camera=camera,
                requested_by=cls.dispatcher,
                case_number=f"CASE-{reference}",
                reason="burglary",
                start=timezone.now() - timedelta(hours=2),
                end=timezone.now() - timedelta(hours=1),
            )

    def changelist(self, user, model_path):
        self.client.force_login(user)
        response = self.client.get(f"/admin/{model_path}/")
        self.assertEqual(response.status_code, 200, model_path)
        return response.content.decode()

    def test_agency_admin_sees_only_own_rows_everywhere(self):
        expectations = {
            "cameras/camera": ("Main St &amp; 1st", "Lakeview pier"),
            "agencies/incident": ("CAD-RPD-1", "CAD-LSO-1"),
            "agencies/accessevent": ("audit RPD-1", "audit LSO-1"),
            "agencies/membership": ("dan-dispatcher", "olga-outsider"),
            "agencies/agency": ("Riverside PD", "Lakeview SO"),
            "billing/contract": ("RPD-1", "LSO-1"),
            "billing/invoice": ("INV-RPD-1", "INV-LSO-1"),
            "billing/invoiceline": ("Devices RPD-1", "Devices LSO-1"),
            "auth/user": ("dan-dispatcher", "olga-outsider"),
            "cameras/footagerequest": ("CASE-RPD-1", "CASE-LSO-1"),
        }
        for model_path, (own, foreign) in expectations.items():
            page = self.changelist(self.admin, model_path)
            self.assertIn(own, page, model_path)
            self.assertNotIn(foreign, page, model_path)
            page = self.changelist(self.lakeview_admin, model_path)
            self.assertIn(foreign, page, model_path)
            self.assertNotIn(own, page, model_path)

    def test_superuser_sees_every_agency(self):
        page = self.changelist(self.root, "cameras/camera")
        self.assertIn("Main St &amp; 1st", page)
        self.assertIn("Lakeview pier", page)

    def test_foreign_row_is_not_found_for_an_agency_admin(self):
        self.client.force_login(self.lakeview_admin)
        response = self.client.get(f"/admin/cameras/camera/{self.street_camera.pk}/change/")
        self.assertEqual(response.status_code, 302)  # the admin redirects a missing object to its index
        self.assertFalse(response.url.endswith("/change/"))

    def test_agency_admin_cannot_make_anyone_superuser(self):
        self.client.force_login(self.admin)
        page = self.client.get(f"/admin/auth/user/{self.dispatcher.pk}/change/").content.decode()
        self.assertNotIn('name="is_superuser"', page)
        self.assertNotIn('name="user_permissions"', page)

    def test_consent_history_is_read_only(self):
        self.client.force_login(self.admin)
        consent = Consent.objects.filter(camera=self.live_camera).first()
        response = self.client.post(f"/admin/cameras/consent/{consent.pk}/change/", {"level": "none"})
        self.assertEqual(response.status_code, 403)

    def test_pull_url_error_is_a_form_error(self):
        self.client.force_login(self.admin)
        response = self.client.post(
            "/admin/cameras/camera/add/",
            camera_admin_form(name="Sneaky", source="pull", source_url="file:///etc/passwd"),
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Scheme &#x27;file&#x27; is not allowed")
        self.assertFalse(self.riverside.cameras.filter(name="Sneaky").exists())

    def test_agency_admin_adds_a_camera_to_own_agency(self):
        self.client.force_login(self.admin)
        response = self.client.post(
            "/admin/cameras/camera/add/",
            camera_admin_form(name="New pole camera", source="none", source_url=""),
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        self.assertEqual(self.riverside.cameras.filter(name="New pole camera").count(), 1)
        self.assertEqual(Membership.objects.get(user=self.admin).agency, self.riverside)

    def test_admin_list_pages_have_filters_and_search(self):
        page = self.changelist(self.admin, "cameras/camera")
        self.assertIn('id="changelist-filter"', page)
        self.assertIn('id="searchbar"', page)


class TokenAdminTests(Personas):
    def test_agency_admin_cannot_list_api_tokens_even_with_the_permission(self):
        self.admin.user_permissions.add(*Permission.objects.filter(content_type__app_label="authtoken"))
        self.api(self.dispatcher)  # makes a token
        self.client.force_login(self.admin)
        self.assertEqual(self.client.get("/admin/authtoken/tokenproxy/").status_code, 403)

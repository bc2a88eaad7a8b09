"""The owner's decisions are the owner's, and tenancy holds in admin as in the API.

Every path below is a real admin page driven with the test client, its form read from the
page and posted back with the attacker's changes, as a browser would.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import get_user_perms

from agencies.models import AccessEvent, Incident, Membership
from agencies.roles import AGENCY_ADMIN_GROUP
from billing.models import Contract, Invoice, InvoiceLine, Package
from cameras.models import Camera, Consent, PrivacyMask
from cameras.services import do_save_camera
from devices.models import Device
from tests.admin_forms import submit
from tests.personas import PASSWORD, Personas, make_active_contract, make_agency_admin

User = get_user_model()


class AdminTrust(Personas):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = User.objects.create_superuser("root", "root@example.org", PASSWORD)
        cls.lakeview_admin = make_agency_admin("larry-lakeview-admin", cls.lakeview)
        cls.mask = PrivacyMask.objects.create(
            camera=cls.registry_camera, label="neighbour's window", x=0.1, y=0.1, width=0.2, height=0.2
        )
        cls.package = Package.objects.create(slug="live", name="Live", price_per_device_year=Decimal("750"))
        cls.contract = make_active_contract(cls.riverside, cls.package, "RPD-1")
        invoice = Invoice.objects.create(
            contract=cls.contract, number="INV-1", period_start="2025-01-01", period_end="2025-12-31"
        )
        cls.invoice_line = InvoiceLine.objects.create(
            invoice=invoice, description="Devices", quantity=2, unit_price=Decimal("700")
        )
        cls.incident = Incident.objects.create(
            agency=cls.riverside, external_id="CAD-1", kind="burglary", lat=41.90, lon=-87.60
        )
        # A superuser who also holds a membership stays the platform's.
        cls.root_member = User.objects.create_superuser("root-member", "rm@example.org", PASSWORD)
        Membership.objects.create(user=cls.root_member, agency=cls.riverside, role=Membership.Role.ANALYST)

    def as_admin(self, user=None):
        self.client.force_login(user or self.admin)
        return self.client

    def url(self, obj, view="change"):
        return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/{view}/"

    def audit(self, **filters):
        return AccessEvent.objects.filter(**filters)


class AgencyAdminOverridePaths(AdminTrust):
    """Each path an agency admin could take around an owner or out of their agency, and what must hold."""

    def override_paths(self):
        client = self.as_admin()
        resident_cam, street_cam, revoked_cam = self.registry_camera, self.street_camera, self.revoked_camera
        group = Group.objects.get(name=AGENCY_ADMIN_GROUP)
        other_device = Device.objects.create(serial="EDGE-STOCK", agency=self.riverside)
        some_permission = group.permissions.first()
        group_permissions = set(group.permissions.all())

        def camera(pk=resident_cam.pk):
            return Camera.objects.get(pk=pk)

        def cam_form(changes, cam=resident_cam):
            return lambda: submit(client, self.url(cam), changes)

        def post(url, data=None):
            return lambda: client.post(url, data or {})

        def user_form(user, changes):
            return lambda: submit(client, self.url(user), changes)

        dispatcher = lambda: User.objects.get(pk=self.dispatcher.pk)  # noqa: E731
        masks = lambda: list(PrivacyMask.objects.filter(camera=resident_cam).values_list("x", "y", "width"))  # noqa: E731
        mask_before = masks()
        return {
            # A resident's camera: the owner's decisions.
            "resident camera set to public": (
                cam_form({"kind": "public"}),
                lambda: camera().kind == "private",
            ),
            "resident camera given another owner": (
                cam_form({"owner": self.admin.pk}),
                lambda: camera().owner_id == self.resident.pk,
            ),
            "resident camera moved next to an incident": (
                cam_form({"lat": "41.9", "lon": "-87.6"}),
                lambda: (camera().lat, camera().lon) == (resident_cam.lat, resident_cam.lon),
            ),
            "resident camera's time zone shifted": (
                cam_form({"time_zone": "Asia/Tokyo"}),
                lambda: camera().time_zone == resident_cam.time_zone,
            ),
            "resident camera pulled from a URL": (
                cam_form({"source": "pull", "source_url": "rtsp://93.184.216.34/x"}),
                lambda: camera().source == resident_cam.source and not camera().source_url,
            ),
            "resident camera put on another device": (
                cam_form({"device": other_device.pk}),
                lambda: camera().device_id == resident_cam.device_id,
            ),
            "resident camera moved to another agency": (
                cam_form({"agency": self.lakeview.pk}),
                lambda: camera().agency_id == self.riverside.pk,
            ),
            "agency camera handed to a resident": (
                cam_form({"kind": "private", "owner": self.resident.pk}, street_cam),
                lambda: (camera(street_cam.pk).kind, camera(street_cam.pk).owner_id) == ("public", None),
            ),
            "agency camera put on a resident's box": (
                cam_form({"source": "push", "device": self.device.pk}, street_cam),
                lambda: camera(street_cam.pk).device_id is None,
            ),
            "private camera added in a resident's name": (
                lambda: submit(
                    client,
                    "/admin/cameras/camera/add/",
                    {
                        "name": "Planted",
                        "kind": "private",
                        "owner": self.resident.pk,
                        "lat": 41.88,
                        "lon": -87.63,
                    },
                ),
                lambda: not Camera.objects.filter(owner=self.resident, name="Planted").exists(),
            ),
            "mask added in the camera page": (
                cam_form(
                    {
                        "privacy_masks-TOTAL_FORMS": "2",
                        "privacy_masks-1-label": "x",
                        "privacy_masks-1-x": "0.5",
                        "privacy_masks-1-y": "0.5",
                        "privacy_masks-1-width": "0.1",
                        "privacy_masks-1-height": "0.1",
                    }
                ),
                lambda: masks() == mask_before,
            ),
            "mask deleted in the camera page": (
                cam_form({"privacy_masks-0-DELETE": "on"}),
                lambda: masks() == mask_before,
            ),
            "mask moved in the camera page": (
                cam_form({"privacy_masks-0-x": "0.7"}),
                lambda: masks() == mask_before,
            ),
            "mask changed on its own page": (
                post(
                    self.url(self.mask),
                    {"camera": resident_cam.pk, "x": 0.7, "y": 0.1, "width": 0.2, "height": 0.2},
                ),
                lambda: masks() == mask_before,
            ),
            "mask deleted on its own page": (
                post(self.url(self.mask, "delete"), {"post": "yes"}),
                lambda: masks() == mask_before,
            ),
            "mask added on its own page": (
                post(
                    "/admin/cameras/privacymask/add/",
                    {"camera": resident_cam.pk, "x": 0.5, "y": 0.5, "width": 0.1, "height": 0.1},
                ),
                lambda: masks() == mask_before,
            ),
            "consent row changed": (
                post(self.url(resident_cam.current_consent()), {"level": "live"}),
                lambda: camera().current_consent().level == Consent.Level.REGISTRY,
            ),
            "consent row added": (
                post("/admin/cameras/consent/add/", {"camera": resident_cam.pk, "level": "live"}),
                lambda: camera().current_consent().level == Consent.Level.REGISTRY,
            ),
            "camera whose owner shares nothing opened": (
                lambda: client.get(self.url(revoked_cam)),
                lambda: client.get(self.url(revoked_cam)).status_code == 302,
            ),
            "camera whose owner shares nothing listed": (
                lambda: client.get("/admin/cameras/camera/"),
                lambda: "Ned&#x27;s yard" not in client.get("/admin/cameras/camera/").content.decode(),
            ),
            "consent history of a camera that shares nothing listed": (
                lambda: client.get("/admin/cameras/consent/"),
                lambda: "Ned&#x27;s yard" not in client.get("/admin/cameras/consent/").content.decode(),
            ),
            "resident camera deleted": (
                post(self.url(resident_cam, "delete"), {"post": "yes"}),
                lambda: Camera.objects.filter(pk=resident_cam.pk, owner=self.resident).exists(),
            ),
            "resident camera deleted in bulk": (
                post(
                    "/admin/cameras/camera/",
                    {"action": "delete_selected", "_selected_action": [resident_cam.pk], "post": "yes"},
                ),
                lambda: Camera.objects.filter(pk=resident_cam.pk, owner=self.resident).exists(),
            ),
            "resident camera granted to another agency's dispatcher": (
                post(
                    self.url(resident_cam, f"permissions/user-manage/{self.outsider.pk}"),
                    {"permissions": ["view_camera"]},
                ),
                lambda: not get_user_perms(self.outsider, resident_cam).exists(),
            ),
            "agency camera granted to a group that spans agencies": (
                post(
                    self.url(street_cam, f"permissions/group-manage/{group.pk}"),
                    {"permissions": ["view_camera"]},
                ),
                lambda: not group.groupobjectpermission_set.exists(),
            ),
            # Tenancy: users, memberships, groups, contracts.
            "user created as admin of another agency": (
                lambda: submit(
                    client,
                    "/admin/auth/user/add/",
                    {
                        "username": "mole",
                        "password1": "a long enough password 1",
                        "password2": "a long enough password 1",
                        "usable_password": "true",
                        "membership-TOTAL_FORMS": "1",
                        "membership-0-agency": self.lakeview.pk,
                        "membership-0-role": "admin",
                    },
                ),
                lambda: not User.objects.filter(username="mole").exists(),
            ),
            "resident enrolled into another agency": (
                post(
                    "/admin/agencies/membership/add/",
                    {"user": self.resident.pk, "agency": self.lakeview.pk, "role": "admin"},
                ),
                lambda: not Membership.objects.filter(user=self.resident).exists(),
            ),
            "another agency's membership changed": (
                post(self.url(self.outsider.membership), {"user": self.outsider.pk, "role": "admin"}),
                lambda: Membership.objects.get(user=self.outsider).role == Membership.Role.DISPATCHER,
            ),
            "own member moved to another agency": (
                lambda: submit(client, self.url(self.dispatcher.membership), {"agency": self.lakeview.pk}),
                lambda: Membership.objects.get(user=self.dispatcher).agency_id == self.riverside.pk,
            ),
            "member made staff": (
                user_form(self.dispatcher, {"is_staff": "on"}),
                lambda: not dispatcher().is_staff,
            ),
            "member made superuser": (
                user_form(self.dispatcher, {"is_superuser": "on"}),
                lambda: not dispatcher().is_superuser,
            ),
            "member put in a group": (
                user_form(self.dispatcher, {"groups": [group.pk]}),
                lambda: not dispatcher().groups.exists(),
            ),
            "member given a permission": (
                user_form(self.dispatcher, {"user_permissions": [some_permission.pk]}),
                lambda: not dispatcher().user_permissions.exists(),
            ),
            "admin makes themselves superuser": (
                user_form(self.admin, {"is_superuser": "on"}),
                lambda: not User.objects.get(pk=self.admin.pk).is_superuser,
            ),
            "the agency-admin group edited": (
                post(
                    self.url(group),
                    {
                        "name": AGENCY_ADMIN_GROUP,
                        "permissions": list(Permission.objects.values_list("pk", flat=True)),
                    },
                ),
                lambda: set(Group.objects.get(pk=group.pk).permissions.all()) == group_permissions,
            ),
            "a group added": (
                post("/admin/auth/group/add/", {"name": "Everything"}),
                lambda: not Group.objects.filter(name="Everything").exists(),
            ),
            "password of a superuser with a membership reset": (
                post(self.url(self.root_member, "password"), {"password1": "x" * 20, "password2": "x" * 20}),
                lambda: User.objects.get(pk=self.root_member.pk).check_password(PASSWORD),
            ),
            "password of another agency's user reset": (
                post(self.url(self.outsider, "password"), {"password1": "x" * 20, "password2": "x" * 20}),
                lambda: User.objects.get(pk=self.outsider.pk).check_password(PASSWORD),
            ),
            "contract created at a price of their choosing": (
                post(
                    "/admin/billing/contract/add/",
                    {
                        "package": self.package.pk,
                        "reference": "CHEAP",
                        "starts_on": "2026-01-01",
                        "ends_on": "2026-12-31",
                        "device_quota": 999,
                        "price_per_device_year": "1",
                        "status": "active",
                    },
                ),
                lambda: not Contract.objects.filter(reference="CHEAP").exists(),
            ),
            "contract repriced": (
                lambda: submit(
                    client, self.url(self.contract), {"price_per_device_year": "1"}, form_id="contract_form"
                ),
                lambda: Contract.objects.get(pk=self.contract.pk).price_per_device_year == Decimal("700"),
            ),
            "package created": (
                post(
                    "/admin/billing/package/add/",
                    {"slug": "free", "name": "Free", "price_per_device_year": "0"},
                ),
                lambda: not Package.objects.filter(slug="free").exists(),
            ),
            "package repriced": (
                post(self.url(self.package), {"slug": "live", "name": "Live", "price_per_device_year": "1"}),
                lambda: Package.objects.get(pk=self.package.pk).price_per_device_year == Decimal("750"),
            ),
            "invoice line repriced": (
                post(
                    self.url(self.invoice_line),
                    {
                        "invoice": self.invoice_line.invoice_id,
                        "description": "Devices",
                        "quantity": 2,
                        "unit_price": "1",
                    },
                ),
                lambda: InvoiceLine.objects.get(pk=self.invoice_line.pk).unit_price == Decimal("700"),
            ),
            # A resident's box and CAD's record.
            "resident's device handed to someone else": (
                lambda: submit(client, self.url(self.device), {"owner": self.admin.pk}),
                lambda: Device.objects.get(pk=self.device.pk).owner_id == self.resident.pk,
            ),
            "resident's device deleted": (
                post(self.url(self.device, "delete"), {"post": "yes"}),
                lambda: Device.objects.filter(pk=self.device.pk).exists(),
            ),
            "incident moved onto a camera": (
                lambda: submit(
                    client, self.url(self.incident), {"lat": resident_cam.lat, "lon": resident_cam.lon}
                ),
                lambda: Incident.objects.get(pk=self.incident.pk).lat == 41.90,
            ),
            "agency's time zone shifted (residents' schedules with it)": (
                lambda: submit(client, self.url(self.riverside), {"time_zone": "Asia/Tokyo"}),
                lambda: type(self.riverside).objects.get(pk=self.riverside.pk).time_zone == "America/Chicago",
            ),
            "agency's jurisdiction widened": (
                lambda: submit(client, self.url(self.riverside), {"jurisdiction_radius_m": 500_000}),
                lambda: type(self.riverside).objects.get(pk=self.riverside.pk).jurisdiction_radius_m
                == 10_000,
            ),
            "incident deleted": (
                post(self.url(self.incident, "delete"), {"post": "yes"}),
                lambda: Incident.objects.filter(pk=self.incident.pk).exists(),
            ),
        }

    def test_every_admin_override_path_is_refused(self):
        paths = self.override_paths()
        refused = 0
        for name, (attempt, holds) in paths.items():
            with self.subTest(name):
                response = attempt()
                self.assertLess(response.status_code, 500, name)
                self.assertTrue(holds(), name)
                refused += 1
        self.assertEqual((len(paths), refused), (49, 49))

    def test_the_service_refuses_an_owner_decision_whatever_the_form_carried(self):
        camera = Camera.objects.get(pk=self.live_camera.pk)
        camera.lat = 41.9
        with self.assertRaises(PermissionDenied):
            do_save_camera(self.admin, camera, created=False, fields=["name"])
        camera = Camera.objects.get(pk=self.street_camera.pk)
        camera.kind, camera.owner = Camera.Kind.PRIVATE, self.admin
        with self.assertRaises(PermissionDenied):
            do_save_camera(self.root, camera, created=False, fields=["name"])

    def test_agency_admin_still_edits_what_is_theirs(self):
        client = self.as_admin()
        self.assertEqual(client.get(self.url(self.registry_camera)).status_code, 200)
        response = submit(client, self.url(self.registry_camera), {"name": "Rita's garage (side)"})
        self.assertEqual(response.status_code, 302)
        response = submit(client, self.url(self.street_camera), {"lat": "41.8811"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Camera.objects.get(pk=self.street_camera.pk).lat, 41.8811)
        self.assertEqual(Camera.objects.get(pk=self.registry_camera.pk).name, "Rita's garage (side)")
        # Their own contracts are theirs to read.
        self.assertContains(client.get("/admin/billing/contract/"), "RPD-1")
        self.assertEqual(client.get(self.url(self.contract)).status_code, 200)


class AgencyAdminRole(AdminTrust):
    def test_making_someone_an_agency_admin_lets_them_into_the_admin_with_their_agencys_scope(self):
        client = self.as_admin()
        response = submit(client, self.url(self.dispatcher.membership), {"role": "admin"})
        self.assertEqual(response.status_code, 302)
        promoted = User.objects.get(pk=self.dispatcher.pk)
        self.assertTrue(promoted.is_staff)
        self.assertTrue(promoted.groups.filter(name=AGENCY_ADMIN_GROUP).exists())
        self.assertTrue(
            self.audit(action="access_change", actor=self.admin, target_id=str(promoted.pk)).exists()
        )
        self.client.force_login(promoted)
        self.assertEqual(self.client.get("/admin/").status_code, 200)
        page = self.client.get("/admin/cameras/camera/").content.decode()
        self.assertIn("Main St &amp; 1st", page)
        self.assertNotIn("Lakeview pier", page)

        submit(self.as_admin(), self.url(self.dispatcher.membership), {"role": "dispatcher"})
        demoted = User.objects.get(pk=self.dispatcher.pk)
        self.assertFalse(demoted.is_staff)
        self.assertFalse(demoted.groups.exists())
        self.client.force_login(demoted)
        self.assertEqual(self.client.get("/admin/").status_code, 302)

    def test_removing_the_membership_takes_the_admin_rights_away(self):
        colleague = make_agency_admin("carl-colleague", self.riverside)
        response = self.as_admin().post(self.url(colleague.membership, "delete"), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        colleague.refresh_from_db()
        self.assertFalse(colleague.is_staff)
        self.assertFalse(colleague.groups.exists())
        line = self.audit(action="access_change", target_id=str(colleague.pk)).get()
        self.assertEqual(line.detail["change"], "membership_removed")

    def test_a_user_created_by_an_agency_admin_belongs_to_their_agency(self):
        response = submit(
            self.as_admin(),
            "/admin/auth/user/add/",
            {
                "username": "nina-new",
                "password1": "a long enough password 1",
                "password2": "a long enough password 1",
                "usable_password": "true",
                "membership-0-role": "admin",
            },
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        nina = User.objects.get(username="nina-new")
        self.assertEqual(nina.membership.agency, self.riverside)
        self.assertTrue(nina.is_staff)
        changes = set(
            self.audit(action="access_change", target_id=str(nina.pk)).values_list(
                "detail__change", flat=True
            )
        )
        self.assertEqual(changes, {"user_created", "membership_created"})


class PlatformOverride(AdminTrust):
    def test_superuser_changes_an_owner_only_with_a_reason_and_the_owners_are_told(self):
        self.client.force_login(self.root)
        url = self.url(self.registry_camera)
        response = submit(self.client, url, {"owner": self.neighbour.pk})
        self.assertContains(response, "Say why the owner")
        self.assertEqual(Camera.objects.get(pk=self.registry_camera.pk).owner, self.resident)

        with self.captureOnCommitCallbacks(execute=True):
            response = submit(
                self.client, url, {"owner": self.neighbour.pk, "override_reason": "Sold with the house"}
            )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Camera.objects.get(pk=self.registry_camera.pk).owner, self.neighbour)
        line = self.audit(action="platform_override").get()
        self.assertEqual(line.purpose, "Sold with the house")
        self.assertEqual(line.detail["fields"]["owner"], ["rita-resident", "ned-neighbour"])
        self.assertEqual(
            sorted(message.to[0] for message in mail.outbox),
            ["ned-neighbour@example.org", "rita-resident@example.org"],
        )
        self.assertIn("Sold with the house", mail.outbox[0].body)

    def test_superuser_overrides_masks_and_consent_through_the_service(self):
        self.client.force_login(self.root)
        with self.captureOnCommitCallbacks(execute=True):
            response = submit(
                self.client,
                self.url(self.registry_camera),
                {
                    "privacy_masks-0-DELETE": "on",
                    "override_consent": "none",
                    "override_reason": "Court order 26-118",
                },
            )
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        self.assertFalse(PrivacyMask.objects.filter(camera=self.registry_camera).exists())
        consent = Camera.objects.get(pk=self.registry_camera.pk).current_consent()
        self.assertEqual((consent.level, consent.set_by), ("none", self.root))
        line = self.audit(action="platform_override").get()
        self.assertEqual((line.detail["masks"], line.detail["consent_level"]), (0, "none"))
        self.assertEqual([message.to for message in mail.outbox], [["rita-resident@example.org"]])

    def test_mask_change_without_a_reason_is_refused(self):
        self.client.force_login(self.root)
        response = submit(self.client, self.url(self.registry_camera), {"privacy_masks-0-x": "0.6"})
        self.assertContains(response, "Masks are the owner")
        self.assertEqual(PrivacyMask.objects.get(pk=self.mask.pk).x, 0.1)


class AdminWritesAreAudited(AdminTrust):
    def test_every_admin_save_delete_and_action_writes_an_audit_line(self):
        client = self.as_admin()
        stock = Device.objects.create(serial="EDGE-STOCK-1", agency=self.riverside)
        spare = Device.objects.create(serial="EDGE-STOCK-2", agency=self.riverside)
        writes = {
            "camera edited": lambda: submit(client, self.url(self.street_camera), {"name": "Main & 1st"}),
            "camera added": lambda: submit(
                client, "/admin/cameras/camera/add/", {"name": "Pole 9", "lat": 41.88, "lon": -87.63}
            ),
            "device added": lambda: submit(
                client, "/admin/devices/device/add/", {"serials": "EDGE-NEW"}, form_id="device_batch_form"
            ),
            "device edited": lambda: submit(client, self.url(stock), {"recipient": "Corner shop"}),
            "devices deleted in bulk": lambda: client.post(
                "/admin/devices/device/",
                {"action": "delete_selected", "_selected_action": [stock.pk, spare.pk], "post": "yes"},
            ),
            "user edited": lambda: submit(client, self.url(self.dispatcher), {"first_name": "Dan"}),
            "password set": lambda: client.post(
                self.url(self.dispatcher, "password"),
                {
                    "password1": "another long password 7",
                    "password2": "another long password 7",
                    "usable_password": "true",
                },
            ),
            "membership edited": lambda: submit(
                client, self.url(self.dispatcher.membership), {"role": "analyst"}
            ),
            "incident opened": lambda: submit(
                client,
                "/admin/agencies/incident/add/",
                {"external_id": "CAD-9", "kind": "fire", "lat": 41.88, "lon": -87.63, "priority": 2},
            ),
            "incident edited": lambda: submit(client, self.url(self.incident), {"priority": 1}),
            "incidents closed": lambda: client.post(
                "/admin/agencies/incident/",
                {"action": "close_incidents", "_selected_action": [self.incident.pk]},
            ),
            "invoice drafted": lambda: client.post(
                "/admin/billing/contract/",
                {"action": "draft_invoice_for_this_year", "_selected_action": [self.contract.pk]},
            ),
            "agency settings edited": lambda: submit(
                client, self.url(self.riverside), {"retention_days": 21}
            ),
        }
        expected_lines = {"devices deleted in bulk": 2}
        # Adding devices answers with their label sheet, the one time their claim codes show.
        expected_status = {"device added": 200}
        for name, write in writes.items():
            with self.subTest(name):
                before = AccessEvent.objects.count()
                response = write()
                self.assertEqual(response.status_code, expected_status.get(name, 302), name)
                self.assertEqual(AccessEvent.objects.count() - before, expected_lines.get(name, 1), name)
                self.assertEqual(AccessEvent.objects.order_by("-pk").first().actor, self.admin)
        self.assertTrue(Incident.objects.filter(external_id="CAD-9", agency=self.riverside).exists())
        self.assertIsNotNone(Incident.objects.get(pk=self.incident.pk).closed_at)

    def test_superuser_writes_are_audited_too(self):
        self.client.force_login(self.root)
        before = AccessEvent.objects.count()
        response = submit(self.client, self.url(self.contract), {"device_quota": 6})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(AccessEvent.objects.count(), before + 1)
        line = AccessEvent.objects.order_by("-pk").first()
        self.assertEqual((line.action, line.detail["fields"]), ("record_change", ["device_quota"]))

"""`manage.py generate_fleet`: the contract's agencies, users and mix, repeatable, and careful with other data."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import TestCase
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Agency, Membership
from billing.models import Contract, DeviceSubscription
from cameras.models import Camera, Consent
from devices.models import Device
from rtcc.geo import cell_of, planar_distance_m
from tests.personas import totp_code

User = get_user_model()


def generate(*flags, **options) -> str:
    out = StringIO()
    options = {"cameras": 1000, "agencies": 4, "password": "fleet-password", "seed": 5, **options}
    arguments = [*flags, *(f"--{name}={value}" for name, value in options.items())]
    call_command("generate_fleet", *arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


class GeneratedFleetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.report = generate()

    def test_agencies_each_have_an_active_contract_and_three_staff(self):
        self.assertEqual(
            list(Agency.objects.order_by("slug").values_list("slug", flat=True)),
            ["agency-001", "agency-002", "agency-003", "agency-004"],
        )
        for agency in Agency.objects.all():
            self.assertEqual(Contract.objects.filter(agency=agency, status=Contract.Status.ACTIVE).count(), 1)
            roles = set(Membership.objects.filter(agency=agency).values_list("role", flat=True))
            self.assertEqual(roles, {"dispatcher", "admin", "oversight"})
        self.assertTrue(User.objects.get(username="dispatcher-003").check_password("fleet-password"))
        self.assertTrue(User.objects.get(username="admin-001").is_staff)

    def test_agency_users_have_the_demo_authenticator(self):
        staff = User.objects.filter(membership__isnull=False)
        self.assertEqual(TOTPDevice.objects.filter(user__in=staff, confirmed=True).count(), staff.count())
        device = TOTPDevice.objects.get(user__username="dispatcher-002")
        self.assertTrue(device.verify_token(totp_code(device.user)))
        self.assertIn("authenticator secret", self.report)

    def test_camera_count_and_mix(self):
        self.assertEqual(Camera.objects.count(), 1000)
        self.assertEqual(Camera.objects.filter(kind=Camera.Kind.PUBLIC).count(), 100)
        levels = {
            level: Consent.objects.current().filter(level=level).count()
            for level in ["registry", "on_request", "live"]
        }
        self.assertAlmostEqual(levels["registry"] / 1000, 0.80, delta=0.05)
        self.assertAlmostEqual(levels["on_request"] / 1000, 0.05, delta=0.025)
        self.assertAlmostEqual((levels["live"] + 100) / 1000, 0.15, delta=0.03)
        self.assertIn("1000 cameras", self.report)

    def test_residents_own_about_three_cameras_on_one_device_each(self):
        residents = User.objects.filter(username__startswith="resident-")
        self.assertAlmostEqual(900 / residents.count(), 3, delta=0.5)
        private = Camera.objects.filter(kind=Camera.Kind.PRIVATE)
        self.assertFalse(private.filter(device__isnull=True).exists())
        self.assertFalse(private.exclude(device__owner_id=F("owner_id")).exists())
        self.assertEqual(DeviceSubscription.objects.count(), Device.objects.count())

    def test_consents_have_history_and_cameras_their_cells(self):
        self.assertGreater(Consent.objects.count(), Camera.objects.filter(kind=Camera.Kind.PRIVATE).count())
        camera = Camera.objects.order_by("?").first()
        self.assertEqual(camera.geocell, cell_of(camera.lat, camera.lon))

    def test_cameras_cluster_around_their_agency(self):
        for camera in Camera.objects.select_related("agency")[:200]:
            agency = camera.agency
            self.assertLess(
                planar_distance_m(agency.lat, agency.lon, camera.lat, camera.lon),
                agency.jurisdiction_radius_m + 50,
            )

    def test_same_seed_gives_the_same_fleet(self):
        before = list(Camera.objects.order_by("agency__slug", "name").values_list("name", "lat", "lon"))
        generate()
        after = list(Camera.objects.order_by("agency__slug", "name").values_list("name", "lat", "lon"))
        self.assertEqual(after, before)


class RefusalTests(TestCase):
    def test_refuses_a_database_with_other_data_unless_forced(self):
        Agency.objects.create(slug="riverside-pd", name="Riverside PD", lat=41.88, lon=-87.63)
        with self.assertRaisesMessage(CommandError, "holds data not generated here"):
            generate(cameras=10, agencies=1)
        self.assertFalse(Camera.objects.exists())
        generate("--force", cameras=10, agencies=1)
        self.assertEqual(Camera.objects.count(), 10)

"""The people every test speaks of, made once per test class.

- `admin`: agency admin of Riverside PD (staff, for the Django admin)
- `dispatcher`: dispatcher of Riverside PD, the admin's teammate
- `outsider`: dispatcher of Lakeview SO, another agency
- `resident`: owns private cameras shared with Riverside PD
- `neighbour`: another resident with a camera of their own
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import TestCase
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agencies.models import Agency, Membership
from cameras.models import Camera, Consent
from devices.models import Device

PASSWORD = "correct horse battery staple"
RIVERSIDE_CENTRE = (41.8800, -87.6300)
LAKEVIEW_CENTRE = (41.9400, -87.6500)

User = get_user_model()


def make_user(username: str, agency: Agency | None = None, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, **extra)
    if agency is not None:
        Membership.objects.create(user=user, agency=agency, role=role or Membership.Role.DISPATCHER)
    return user


def make_agency_admin(username: str, agency: Agency) -> User:
    user = make_user(username, agency, Membership.Role.ADMIN, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["agencies", "cameras", "devices", "billing", "auth"]
        )
    )
    return user


def make_camera(
    agency: Agency, name: str, *, owner=None, level: str | None = None, lat=None, lon=None, **extra
) -> Camera:
    kind = Camera.Kind.PRIVATE if owner else Camera.Kind.PUBLIC
    defaults = {"source": Camera.Source.PUSH if owner else Camera.Source.NONE}
    defaults.update(extra)
    camera = Camera.objects.create(
        agency=agency,
        name=name,
        owner=owner,
        kind=kind,
        lat=lat if lat is not None else agency.lat,
        lon=lon if lon is not None else agency.lon,
        **defaults,
    )
    if level is not None:
        Consent.objects.create(camera=camera, level=level, set_by=owner)
    return camera


class Personas(TestCase):
    """Two agencies, their staff, two residents and a few cameras of each."""

    @classmethod
    def setUpTestData(cls):
        cls.riverside = Agency.objects.create(
            slug="riverside-pd",
            name="Riverside PD",
            time_zone="America/Chicago",
            lat=RIVERSIDE_CENTRE[0],
            lon=RIVERSIDE_CENTRE[1],
        )
        cls.lakeview = Agency.objects.create(
            slug="lakeview-so",
            name="Lakeview SO",
            time_zone="America/Chicago",
            lat=LAKEVIEW_CENTRE[0],
            lon=LAKEVIEW_CENTRE[1],
        )
        cls.admin = make_agency_admin("alice-admin", cls.riverside)
        cls.dispatcher = make_user("dan-dispatcher", cls.riverside)
        cls.outsider = make_user("olga-outsider", cls.lakeview)
        cls.resident = make_user("rita-resident")
        cls.neighbour = make_user("ned-neighbour")
        cls.device = Device.objects.create(
            serial="EDGE-0001",
            owner=cls.resident,
            agency=cls.riverside,
            state=Device.State.ENROLLED,
        )
        cls.street_camera = make_camera(cls.riverside, "Main St & 1st")
        cls.live_camera = make_camera(
            cls.riverside,
            "Rita's porch",
            owner=cls.resident,
            level=Consent.Level.LIVE,
            device=cls.device,
            lat=41.8805,
        )
        cls.registry_camera = make_camera(
            cls.riverside,
            "Rita's garage",
            owner=cls.resident,
            level=Consent.Level.REGISTRY,
            lat=41.8810,
        )
        cls.revoked_camera = make_camera(
            cls.riverside, "Ned's yard", owner=cls.neighbour, level=Consent.Level.NONE, lat=41.8790
        )
        cls.lakeview_camera = make_camera(cls.lakeview, "Lakeview pier")

    def api(self, user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

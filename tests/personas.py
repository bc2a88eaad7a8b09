"""The people every test speaks of, made once per test class.

- `admin`: agency admin of Riverside PD (staff, for the Django admin)
- `dispatcher`: dispatcher of Riverside PD, the admin's teammate
- `outsider`: dispatcher of Lakeview SO, another agency
- `resident`: owns private cameras shared with Riverside PD
- `neighbour`: another resident with a camera of their own

Every agency user has a confirmed authenticator (TOTP), as the rules demand. `self.client`
is a `SignedInClient`: its `force_login` also counts as having given the code; `totp_code`
gives the code a real sign-in would type.
"""

import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agencies.models import Agency, Membership
from agencies.services import do_sync_admin_access
from agencies.signin.mfa import mfa_forced
from billing.models import Contract, Package
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
        give_authenticator(user)
    return user


def give_authenticator(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(user) -> str:
    """The code the user's app shows now, one not used yet (a code is good once)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    while True:
        now_t = (int(time.time()) - device.t0) // device.step + device.drift
        counter = max(now_t, device.last_t + 1)
        if counter <= now_t + device.tolerance:
            return f"{hotp(device.bin_key, counter, digits=device.digits):0{device.digits}d}"
        time.sleep(1)


class SignedInClient(Client):
    """A test client whose `force_login` counts as a full sign-in: password and authenticator code."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None and mfa_forced(user):
            device = give_authenticator(user)
        if device is not None:
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


def make_agency(slug: str, name: str, centre: tuple[float, float]) -> Agency:
    """An agency of the test city: Chicago's time zone, centred on `centre` (lat, lon)."""
    return Agency.objects.create(
        slug=slug, name=name, time_zone="America/Chicago", lat=centre[0], lon=centre[1]
    )


def make_active_contract(agency: Agency, package: Package, reference: str, **fields) -> Contract:
    """An active contract for 2026: five devices at 700 a year, unless `fields` say otherwise."""
    terms = {
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "device_quota": 5,
        "price_per_device_year": Decimal("700"),
        "status": Contract.Status.ACTIVE,
    }
    return Contract.objects.create(agency=agency, package=package, reference=reference, **(terms | fields))


def make_agency_admin(username: str, agency: Agency) -> User:
    """An agency admin as the product makes one: staff and the role's group follow the membership."""
    user = make_user(username, agency, Membership.Role.ADMIN)
    do_sync_admin_access(user)
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


def camera_admin_form(**fields) -> dict:
    """The POST body of the admin's add-camera page: a public street camera, with `fields` on top."""
    return {
        "kind": "public",
        "premises": "public_space",
        "relay_mode": "continuous",
        "enabled": "on",
        "lat": "41.88",
        "lon": "-87.63",
        "consents-TOTAL_FORMS": "0",
        "consents-INITIAL_FORMS": "0",
        "privacy_masks-TOTAL_FORMS": "0",
        "privacy_masks-INITIAL_FORMS": "0",
        **fields,
    }


class Personas(TestCase):
    """Two agencies, their staff, two residents and a few cameras of each."""

    client_class = SignedInClient

    @classmethod
    def setUpTestData(cls):
        cls.riverside = make_agency("riverside-pd", "Riverside PD", RIVERSIDE_CENTRE)
        cls.lakeview = make_agency("lakeview-so", "Lakeview SO", LAKEVIEW_CENTRE)
        cls.admin = make_agency_admin("alice-admin", cls.riverside)
        cls.dispatcher = make_user("dan-dispatcher", cls.riverside)
        cls.outsider = make_user("olga-outsider", cls.lakeview)
        cls.resident = make_user("rita-resident")
        cls.neighbour = make_user("ned-neighbour")
        cls.device = Device.objects.create(
            serial="EDGE-0001",
            owner=cls.resident,
            agency=cls.riverside,
            state=Device.State.ONLINE,
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
            client.credentials(HTTP_AUTHORIZATION=authorization_for(user))
        return client


def authorization_for(user) -> str:
    """The Authorization header of an API token made directly, as if the user had signed in."""
    token, _ = Token.objects.get_or_create(user=user)
    return f"Token {token.key}"


def run_admin_action(client, changelist: str, action: str, *pks, **fields):
    """Choose rows `pks` on an admin change list and run `action` on them; the page it ends on."""
    body = {"action": action, "_selected_action": list(pks), **fields}
    return client.post(changelist, body, follow=True)

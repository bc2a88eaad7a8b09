"""The demo's agencies, people, devices, cameras and contracts. Running it twice changes nothing."""

import base64
import math
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Agency, Membership
from agencies.services import do_sync_admin_access
from billing.models import Contract, DeviceSubscription, Invoice, InvoiceLine, Package
from cameras.models import Camera, Consent
from cameras.sharing.models import CameraShare
from cameras.sharing.services import do_share_cameras
from cameras.wall.models import Grid
from cameras.wall.services import do_save_layout
from devices.api.serializers import MAX_CAMERAS_PER_DEVICE
from devices.models import Device

CITY_CENTRE = (41.8781, -87.6298)
LAKEVIEW_CENTRE = (41.9400, -87.6540)

# name, metres north, metres east of the centre, owner key or None for the agency, consent level
RIVERSIDE_CAMERAS = [
    ("Main St & 1st Ave", 0, 0, None, None),
    ("City Hall plaza", 120, -80, None, None),
    ("Riverwalk east", -150, 210, None, None),
    ("Union Station entrance", 260, -340, None, None),
    ("Resident porch", 60, 40, "resident", Consent.Level.LIVE),
    ("Resident driveway", 70, 55, "resident", Consent.Level.LIVE),
    ("Resident backyard", 80, 30, "resident", Consent.Level.ON_REQUEST),
    ("Resident garage", 65, 70, "resident", Consent.Level.REGISTRY),
    ("Corner Deli front door", -40, -60, "business", Consent.Level.LIVE),
    ("Corner Deli register", -35, -55, "business", Consent.Level.ON_REQUEST),
    ("Oak Street Pharmacy lot", 300, 150, "business", Consent.Level.LIVE),
    ("Maple Ave doorbell", -220, -180, "neighbour", Consent.Level.NONE),
]
LAKEVIEW_CAMERAS = [
    ("Lakeview pier", 0, 0, None, None),
    ("Harbor boat ramp", 140, 90, None, None),
]

User = get_user_model()


def offset(centre: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    lat = centre[0] + north_m / 111_320
    lon = centre[1] + east_m / (111_320 * math.cos(math.radians(centre[0])))
    return round(lat, 6), round(lon, 6)


def upsert_agency(slug: str, name: str, centre: tuple[float, float], **fields) -> Agency:
    """The demo's agencies are in the demo city's time zone, centred on `centre` (lat, lon)."""
    agency, _ = Agency.objects.update_or_create(
        slug=slug,
        defaults={"name": name, "time_zone": "America/Chicago", "lat": centre[0], "lon": centre[1], **fields},
    )
    return agency


def upsert_user(username: str, password: str, *, agency=None, role=None, email=None) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": email or f"{username}@example.org"}
    )
    user.set_password(password)
    user.save()
    if agency is not None:
        Membership.objects.update_or_create(user=user, defaults={"agency": agency, "role": role})
    # Staff and the admin group follow the role, as when an admin changes it.
    do_sync_admin_access(user)
    return user


DEMO_AUTHENTICATOR = "Demo authenticator"


def totp_key(totp_secret: str) -> str:
    """django-otp's hex key for a base32 secret as authenticator apps take it."""
    return base64.b32decode(totp_secret + "=" * (-len(totp_secret) % 8)).hex()


def give_demo_authenticator(user, totp_secret: str) -> TOTPDevice:
    """The agency user's authenticator, with the demo's shared secret (base32) so scripts can sign in."""
    TOTPDevice.objects.filter(user=user).exclude(name=DEMO_AUTHENTICATOR).delete()
    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name=DEMO_AUTHENTICATOR, defaults={"key": totp_key(totp_secret), "confirmed": True}
    )
    return device


@transaction.atomic
def seed(password: str, totp_secret: str, street_cameras: int = 4) -> dict:
    riverside = upsert_agency(
        "riverside-pd",
        "Riverside Police Department",
        CITY_CENTRE,
        use_policy=(
            "Live video of a private camera is opened only for an open incident or a case number, "
            "and every look is an audit line. Footage is requested from its owner, who may decline."
        ),
        oversight_contact="Riverside Police Oversight Board, oversight@riverside.example",
    )
    lakeview = upsert_agency("lakeview-so", "Lakeview Sheriff's Office", LAKEVIEW_CENTRE)
    staff = [
        upsert_user("admin", password, agency=riverside, role=Membership.Role.ADMIN),
        upsert_user("dispatcher", password, agency=riverside, role=Membership.Role.DISPATCHER),
        upsert_user("supervisor", password, agency=riverside, role=Membership.Role.SUPERVISOR),
        upsert_user("oversight", password, agency=riverside, role=Membership.Role.OVERSIGHT),
        upsert_user("cad", password, agency=riverside, role=Membership.Role.CAD),
        upsert_user("dispatcher2", password, agency=lakeview, role=Membership.Role.DISPATCHER),
    ]
    for user in staff:
        give_demo_authenticator(user, totp_secret)
    owners = {
        "resident": upsert_user("resident", password),
        "business": upsert_user("cornerdeli", password),
        "neighbour": upsert_user("neighbour", password),
    }

    packages = {
        slug: Package.objects.update_or_create(
            slug=slug, defaults={"name": name, "price_per_device_year": Decimal(price), "features": features}
        )[0]
        for slug, name, price, features in [
            ("registry", "Registry", "480.00", ["registry", "footage requests"]),
            ("live", "Live", "750.00", ["registry", "footage requests", "live video", "CAD pop-ups"]),
            (
                "command",
                "Command",
                "1000.00",
                ["registry", "footage requests", "live video", "CAD pop-ups", "recordings 90 days"],
            ),
        ]
    }
    today = timezone.localdate()
    contracts = {
        agency: Contract.objects.update_or_create(
            reference=reference,
            defaults={
                "agency": agency,
                "package": packages[package],
                "starts_on": today.replace(month=1, day=1),
                "ends_on": today.replace(year=today.year + 1, month=12, day=31),
                "device_quota": quota,
                "price_per_device_year": Decimal(price),
                "status": Contract.Status.ACTIVE,
            },
        )[0]
        for agency, reference, package, quota, price in [
            (riverside, "RPD-2026-001", "live", 50, "720.00"),
            (lakeview, "LSO-2026-001", "live", 10, "750.00"),
        ]
    }

    cameras = []
    for agency, centre, rows in [
        (riverside, CITY_CENTRE, RIVERSIDE_CAMERAS),
        (lakeview, LAKEVIEW_CENTRE, LAKEVIEW_CAMERAS),
    ]:
        for number, (name, north, east, owner_key, level) in enumerate(rows, start=1):
            owner = owners.get(owner_key)
            device = seed_device(f"{agency.slug.upper()}-EDGE-{number:03d}", agency, owner, contracts[agency])
            camera, created = seed_pushed_camera(
                agency,
                name,
                offset(centre, north, east),
                device,
                owner=owner,
                kind=Camera.Kind.PRIVATE if owner else Camera.Kind.PUBLIC,
                premises=Camera.Premises.PUBLIC_SPACE
                if owner is None
                else (Camera.Premises.BUSINESS if owner_key == "business" else Camera.Premises.SINGLE_FAMILY),
                # Both kinds: street and business cameras relayed all along, homes only while watched.
                relay_mode=Camera.RelayMode.ON_DEMAND
                if owner_key not in (None, "business")
                else Camera.RelayMode.CONTINUOUS,
                description=f"{name}, as seen from the camera",
            )
            if owner is not None and (created or camera.current_consent() is None):
                Consent.objects.create(camera=camera, level=level, set_by=owner, note="demo")
            cameras.append(camera)
    cameras += seed_more_street_cameras(riverside, contracts[riverside], street_cameras)

    invoice, _ = Invoice.objects.update_or_create(
        number="INV-RPD-2026-01",
        defaults={
            "contract": contracts[riverside],
            "period_start": today.replace(month=1, day=1),
            "period_end": today.replace(month=12, day=31),
            "issued_on": today.replace(month=1, day=2),
            "due_on": today.replace(month=2, day=1),
            "status": Invoice.Status.PAID,
        },
    )
    devices = DeviceSubscription.objects.filter(contract=contracts[riverside]).count()
    InvoiceLine.objects.update_or_create(
        invoice=invoice,
        description="Live package, per device-year",
        defaults={"quantity": Decimal(devices), "unit_price": contracts[riverside].price_per_device_year},
    )
    share_demo_cameras(staff[0], riverside, lakeview, cameras)
    save_street_layout(staff[2], cameras)
    return {"agencies": [riverside, lakeview], "cameras": cameras}


MORE_STREETS = "Street camera "
STREET_SPACING_M = 60


def seed_more_street_cameras(agency: Agency, contract: Contract, street_cameras: int) -> list[Camera]:
    """Riverside's street cameras beyond the seed's, up to `street_cameras` in all (RTCC_DEMO_CAMERAS),
    on a square grid south of the centre behind boxes of 30. Those a larger earlier run added
    are disabled, not deleted (their audit trail stays), so the wall shows only this run's."""
    seeded = sum(1 for _, _, _, owner, _ in RIVERSIDE_CAMERAS if owner is None)
    wanted = [f"{MORE_STREETS}{number:03d}" for number in range(seeded + 1, street_cameras + 1)]
    Camera.objects.filter(agency=agency, name__startswith=MORE_STREETS).exclude(name__in=wanted).update(
        enabled=False
    )
    side = max(1, math.isqrt(max(len(wanted) - 1, 0)) + 1)
    cameras = []
    boxes = [
        seed_device(f"{agency.slug.upper()}-STREET-{number + 1:02d}", agency, None, contract)
        for number in range(math.ceil(len(wanted) / MAX_CAMERAS_PER_DEVICE))
    ]
    for index, name in enumerate(wanted):
        box = boxes[index // MAX_CAMERAS_PER_DEVICE]
        north, east = -400 - STREET_SPACING_M * (index // side), STREET_SPACING_M * (index % side - side // 2)
        street = {"owner": None, "kind": Camera.Kind.PUBLIC, "premises": Camera.Premises.PUBLIC_SPACE}
        where = offset(CITY_CENTRE, north, east)
        camera, _ = seed_pushed_camera(
            agency, name, where, box, **street, relay_mode=Camera.RelayMode.CONTINUOUS, enabled=True,
            description=f"{name}, a simulated street camera",
        )  # fmt: skip
        cameras.append(camera)
    return cameras


def seed_pushed_camera(agency, name: str, where: tuple[float, float], device, **fields):
    """The demo's camera `name` of `agency`, pushed by `device`, made or brought up to date: (camera, created)."""
    lat, lon = where
    return Camera.objects.update_or_create(
        agency=agency,
        name=name,
        # Every demo box pushes a substream too, as most IP cameras offer one (docs/wall.md).
        defaults={
            "lat": lat,
            "lon": lon,
            "source": Camera.Source.PUSH,
            "device": device,
            "substream": True,
            **fields,
        },
    )


def save_street_layout(supervisor, cameras) -> None:
    """A shared layout "Street cameras": Riverside's street cameras on the smallest grid that holds
    them (8x8 at most), so that a dispatcher fills a wall of live tiles in one choice."""
    streets = [c.pk for c in cameras if c.agency_id == supervisor.membership.agency_id and c.owner_id is None]
    grid = next((side for side in Grid.values if side * side >= len(streets)), Grid.EIGHT)
    do_save_layout(supervisor, name="Street cameras", grid=grid, tiles=streets[: grid * grid], shared=True)


def share_demo_cameras(admin, riverside: Agency, lakeview: Agency, cameras) -> None:
    """Riverside shares two street cameras with Lakeview for 30 days: `dispatcher2` sees them on the wall."""
    if CameraShare.objects.in_force().filter(from_agency=riverside, to_agency=lakeview).exists():
        return
    streets = [
        camera.pk
        for camera in cameras
        if camera.agency_id == riverside.pk and camera.kind == Camera.Kind.PUBLIC
    ]
    do_share_cameras(
        admin,
        riverside,
        lakeview,
        streets[:2],
        ends_at=timezone.now() + timedelta(days=30),
        purpose="Riverfront festival: mutual aid",
        authority="Riverside-Lakeview mutual aid agreement (demo)",
    )


def seed_device(serial: str, agency: Agency, owner, contract: Contract) -> Device:
    device, created = Device.objects.get_or_create(
        serial=serial,
        defaults={
            "agency": agency,
            "owner": owner,
            "state": Device.State.ONLINE,
            "enrolled_at": timezone.now(),
        },
    )
    if created:
        device.set_claim_code(serial[-6:].replace("-", "X") + "CLM")
        device.save(update_fields=["claim_code_hash"])
    DeviceSubscription.objects.get_or_create(
        device=device, ends_on=None, defaults={"contract": contract, "starts_on": contract.starts_on}
    )
    return device

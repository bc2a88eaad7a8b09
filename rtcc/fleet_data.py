"""A generated fleet at the field's scale: many agencies, their staff, residents, devices and cameras.

What `manage.py generate_fleet` builds (DESIGN.md's contract):
- agencies `agency-001`…, each with a city centre, a jurisdiction radius, an active contract
  and three users, `dispatcher-NNN`, `admin-NNN` and `oversight-NNN`, with one password;
- cameras clustered around each centre, about 10 % agency-owned public cameras on streets
  and the rest at residents' homes and businesses, about three to an owner, each owner with an
  edge device; an agency device per 30 public cameras; every device on the agency's contract;
- a sharing mix over all cameras of about 80 % registry, 5 % on request and 15 % live, the
  public cameras counted among the live ones; each private camera's consent has a history
  (one to three rows, the newest in force, some earlier ones revoked).

Positions, names and the mix come from one seeded generator, so the same seed gives the same
fleet; secrets (SRT passphrases, stream ids) stay random. Rows go in with bulk_create in
batches: save() and signals are skipped, so everything a save would keep is set here.
"""

import math
import random
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Agency, Membership
from agencies.roles import agency_admin_group
from billing.models import Contract, DeviceSubscription, Package
from cameras.models import Camera, Consent
from devices.models import Device
from rtcc.demo_data import DEMO_AUTHENTICATOR, totp_key
from rtcc.geo import METRES_PER_DEGREE

User = get_user_model()

BATCH = 2000
AGENCY_SLUG = re.compile(r"^agency-\d{3,}$")
GENERATED_USERNAME = re.compile(r"^((dispatcher|admin|oversight)-\d{3,}|resident-\d{6,})$")
PACKAGE_SLUG = "fleet-live"
STAFF_ROLES = [
    ("dispatcher", Membership.Role.DISPATCHER),
    ("admin", Membership.Role.ADMIN),
    ("oversight", Membership.Role.OVERSIGHT),
]
PUBLIC_SHARE = 0.10
# Of the private cameras, so that over all cameras: 80 % registry, 5 % on request, 15 % live.
PRIVATE_LEVELS = [
    (Consent.Level.REGISTRY, 0.80 / 0.90),
    (Consent.Level.ON_REQUEST, 0.05 / 0.90),
    (Consent.Level.LIVE, 0.05 / 0.90),
]
HOME_VIEWS = ["front door", "driveway", "backyard", "garage", "side gate"]
CAMERAS_PER_AGENCY_DEVICE = 30
# Unusable hashes: generated residents and devices never sign in or claim with a secret.
UNUSABLE = "!"


@dataclass
class FleetCounts:
    # What was written, for the command's summary line; cameras by consent level first.
    levels: dict = field(default_factory=dict)
    agencies: int = 0
    users: int = 0
    residents: int = 0
    devices: int = 0
    cameras: int = 0
    consents: int = 0


def foreign_data() -> list[str]:
    """What in the database was not made by this module (a superuser account does not count)."""
    found = []
    agencies = Agency.objects.exclude(slug__regex=AGENCY_SLUG.pattern).count()
    if agencies:
        found.append(f"{agencies} agencies not named agency-NNN")
    users = (
        User.objects.filter(is_superuser=False).exclude(username__regex=GENERATED_USERNAME.pattern).count()
    )
    if users:
        found.append(f"{users} users not named as generated ones")
    return found


def give_totp_devices(users, totp_secret: str) -> None:
    """Give agency users the demo's authenticator (one shared secret), as the contract says."""
    key = totp_key(totp_secret)
    TOTPDevice.objects.bulk_create(
        TOTPDevice(user=user, name=DEMO_AUTHENTICATOR, key=key, confirmed=True) for user in users
    )


def clear_generated() -> None:
    """Remove a fleet made earlier, so a second run gives the same fleet again."""
    agencies = Agency.objects.filter(slug__regex=AGENCY_SLUG.pattern)
    contracts = Contract.objects.filter(agency__in=agencies)
    Consent.objects.filter(camera__agency__in=agencies).delete()
    Camera.objects.filter(agency__in=agencies).delete()
    DeviceSubscription.objects.filter(contract__in=contracts).delete()
    Device.objects.filter(Q(agency__in=agencies) | Q(serial__startswith="FLEET-")).delete()
    contracts.delete()
    User.objects.filter(username__regex=GENERATED_USERNAME.pattern, is_superuser=False).delete()
    agencies.delete()


def time_zone_at(lon: float) -> str:
    for west_of, zone in [(-114, "America/Los_Angeles"), (-102, "America/Denver"), (-87, "America/Chicago")]:
        if lon < west_of:
            return zone
    return "America/New_York"


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (
        round(lat + north_m / METRES_PER_DEGREE, 6),
        round(lon + east_m / (METRES_PER_DEGREE * math.cos(math.radians(lat))), 6),
    )


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if number < total % parts else 0) for number in range(parts)]


def pick_level(rng: random.Random) -> str:
    draw = rng.random()
    for level, share in PRIVATE_LEVELS:
        if draw < share:
            return level
        draw -= share
    return PRIVATE_LEVELS[-1][0]


class FleetBuilder:
    """Builds the fleet agency by agency, flushing rows in batches."""

    def __init__(self, password: str, totp_secret: str, seed: int, progress):
        self.totp_secret = totp_secret
        self.rng = random.Random(seed)
        self.password_hash = make_password(password)  # one hash for all: hashing is the slow part
        self.progress = progress
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.counts = FleetCounts()
        self.package, _ = Package.objects.update_or_create(
            slug=PACKAGE_SLUG,
            defaults={
                "name": "Live (generated fleet)",
                "price_per_device_year": Decimal("750.00"),
                "features": ["registry", "footage requests", "live video", "CAD pop-ups"],
            },
        )
        self.admin_group = agency_admin_group()
        self.resident_number = 0
        self.pending: list[tuple[Camera, list[Consent]]] = []

    def build(self, cameras: int, agencies: int) -> FleetCounts:
        for number, share in enumerate(split(cameras, agencies), start=1):
            self.build_agency(number, share)
        self.flush_cameras()
        return self.counts

    def build_agency(self, number: int, cameras: int) -> None:
        rng = self.rng
        lat, lon = round(rng.uniform(30.0, 47.0), 6), round(rng.uniform(-122.0, -75.0), 6)
        agency = Agency.objects.create(
            slug=f"agency-{number:03d}",
            name=f"Agency {number:03d} Police Department",
            time_zone=time_zone_at(lon),
            lat=lat,
            lon=lon,
            jurisdiction_radius_m=rng.choice([4_000, 6_000, 8_000, 10_000, 15_000]),
        )
        contract = Contract.objects.create(
            agency=agency,
            package=self.package,
            reference=f"FLEET-{number:03d}",
            starts_on=self.today.replace(month=1, day=1),
            ends_on=self.today.replace(year=self.today.year + 1, month=12, day=31),
            device_quota=max(cameras, 1),
            price_per_device_year=self.package.price_per_device_year,
            status=Contract.Status.ACTIVE,
        )
        self.counts.agencies += 1
        self.add_staff(agency, number)
        public = round(cameras * PUBLIC_SHARE)
        self.add_public_cameras(agency, contract, number, public)
        self.add_homes(agency, contract, number, cameras - public)

    def add_staff(self, agency: Agency, number: int) -> None:
        users = User.objects.bulk_create(
            User(
                username=f"{prefix}-{number:03d}",
                email=f"{prefix}-{number:03d}@example.org",
                password=self.password_hash,
                is_staff=role == Membership.Role.ADMIN,
            )
            for prefix, role in STAFF_ROLES
        )
        Membership.objects.bulk_create(
            Membership(user=user, agency=agency, role=role)
            for user, (_, role) in zip(users, STAFF_ROLES, strict=True)
        )
        self.admin_group.user_set.add(*[u for u in users if u.is_staff])
        give_totp_devices(users, self.totp_secret)
        self.counts.users += len(users)

    def new_devices(self, agency: Agency, contract: Contract, owners: list) -> list[Device]:
        start = self.counts.devices
        devices = Device.objects.bulk_create(
            Device(
                serial=f"FLEET-{agency.slug[-3:]}-{start + n:07d}",
                claim_code_hash=UNUSABLE,
                owner=owner,
                agency=agency,
                state=Device.State.ONLINE,
                enrolled_at=self.now,
            )
            for n, owner in enumerate(owners)
        )
        DeviceSubscription.objects.bulk_create(
            DeviceSubscription(contract=contract, device=device, starts_on=contract.starts_on)
            for device in devices
        )
        self.counts.devices += len(devices)
        return devices

    def spot(self, agency: Agency) -> tuple[float, float]:
        """A point around the centre, denser near it: people and cameras cluster downtown."""
        radius = agency.jurisdiction_radius_m
        while True:
            north, east = self.rng.gauss(0, radius / 2.5), self.rng.gauss(0, radius / 2.5)
            if north * north + east * east <= radius * radius:
                return offset(agency.lat, agency.lon, north, east)

    def add_public_cameras(self, agency: Agency, contract: Contract, number: int, count: int) -> None:
        devices = self.new_devices(agency, contract, [None] * math.ceil(count / CAMERAS_PER_AGENCY_DEVICE))
        for n in range(count):
            lat, lon = self.spot(agency)
            camera = Camera(
                agency=agency,
                name=f"Street camera {number:03d}-{n + 1:05d}",
                kind=Camera.Kind.PUBLIC,
                premises=Camera.Premises.PUBLIC_SPACE,
                lat=lat,
                lon=lon,
                source=Camera.Source.PUSH,
                device=devices[n // CAMERAS_PER_AGENCY_DEVICE],
                created_at=self.now,
            )
            self.queue(camera, [])
            self.count_level("public")

    def add_homes(self, agency: Agency, contract: Contract, number: int, count: int) -> None:
        rng = self.rng
        sizes = []
        while sum(sizes) < count:
            sizes.append(min(rng.choice([1, 2, 3, 3, 4, 5]), count - sum(sizes)))
        first = self.resident_number + 1
        self.resident_number += len(sizes)
        owners = User.objects.bulk_create(
            (
                User(username=f"resident-{n:06d}", email=f"resident-{n:06d}@example.org", password=UNUSABLE)
                for n in range(first, first + len(sizes))
            ),
            batch_size=BATCH,
        )
        self.counts.residents += len(owners)
        devices = self.new_devices(agency, contract, owners)
        for owner, device, size in zip(owners, devices, sizes, strict=True):
            business = rng.random() < 0.2
            home = self.spot(agency)
            for view in range(size):
                lat, lon = offset(*home, rng.uniform(-20, 20), rng.uniform(-20, 20))
                camera = Camera(
                    agency=agency,
                    owner=owner,
                    name=f"{'Shop' if business else 'Home'} {owner.username[-6:]} {HOME_VIEWS[view % len(HOME_VIEWS)]}",
                    kind=Camera.Kind.PRIVATE,
                    premises=Camera.Premises.BUSINESS if business else Camera.Premises.SINGLE_FAMILY,
                    # Most owners send video only while watched; a business's first camera records.
                    relay_mode=Camera.RelayMode.CONTINUOUS
                    if business and view == 0
                    else Camera.RelayMode.ON_DEMAND,
                    lat=lat,
                    lon=lon,
                    source=Camera.Source.PUSH,
                    device=device,
                    created_at=self.now - timedelta(days=rng.randint(30, 700)),
                )
                level = pick_level(rng)
                self.queue(camera, self.consent_history(camera, owner, level))
                self.count_level(level)

    def consent_history(self, camera: Camera, owner, level: str) -> list[Consent]:
        """One to three rows from the camera's creation on; the newest holds `level`."""
        rng = self.rng
        earlier = rng.choice([0, 0, 1, 2])
        moments = sorted(
            camera.created_at
            + timedelta(minutes=rng.randint(0, int((self.now - camera.created_at).total_seconds() // 60)))
            for _ in range(earlier)
        )
        rows = [
            Consent(
                camera=camera,
                level=rng.choice(list(Consent.Level)),
                set_by=owner,
                set_at=when,
                note="generated",
            )
            for when in [camera.created_at, *moments][:earlier]
        ]
        rows.append(Consent(camera=camera, level=level, set_by=owner, set_at=self.now, note="generated"))
        return rows

    def count_level(self, level: str) -> None:
        self.counts.levels[level] = self.counts.levels.get(level, 0) + 1

    def queue(self, camera: Camera, consents: list[Consent]) -> None:
        self.pending.append((camera, consents))
        if len(self.pending) >= BATCH:
            self.flush_cameras()

    def flush_cameras(self) -> None:
        if not self.pending:
            return
        Camera.objects.bulk_create([camera for camera, _ in self.pending])
        # bulk_create has set each camera's pk; the consent rows pick it up as they are stored.
        consents = [row for _, rows in self.pending for row in rows]
        Consent.objects.bulk_create(consents, batch_size=BATCH)
        self.counts.cameras += len(self.pending)
        self.counts.consents += len(consents)
        self.progress(len(self.pending))
        self.pending = []


@transaction.atomic
def generate(
    *, cameras: int, agencies: int, password: str, totp_secret: str, seed: int = 1, progress=lambda done: None
) -> FleetCounts:
    """Replace any generated fleet with a new one; `progress(n)` hears of every n cameras stored."""
    clear_generated()
    return FleetBuilder(password, totp_secret, seed, progress).build(cameras, agencies)

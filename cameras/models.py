import re
import secrets
import uuid
import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from rtcc.crypto import EncryptedTextField
from rtcc.geo import cell_of
from rtcc.validators import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, validate_timezone


def new_stream_id() -> str:
    return secrets.token_hex(12)


def new_srt_passphrase() -> str:
    # SRT takes 10 to 79 characters; 32 url-safe characters carry 192 bits.
    return secrets.token_urlsafe(24)


class CameraQuerySet(models.QuerySet):
    def with_consent(self):
        """Annotate `consent_level`, the level of each camera's newest consent row."""
        return self.annotate(consent_level=NewestConsentLevel())

    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(); the cell must still follow the position.
        objs = list(objs)
        for camera in objs:
            camera.place()
        return super().bulk_create(objs, *args, **kwargs)


class Camera(models.Model):
    """A camera in the network, public (the agency's own) or private (a resident's or business's)."""

    class Kind(models.TextChoices):
        PUBLIC = "public", "Public (agency-owned)"
        PRIVATE = "private", "Private (resident or business)"
        # A resident's camera with nobody to decide for it: a box not yet claimed, or a
        # camera its owner deleted. Nothing is shared; claiming the box makes it private.
        UNOWNED = "unowned", "Unowned (unclaimed or removed by its owner)"

    class Premises(models.TextChoices):
        SINGLE_FAMILY = "single_family", "Single-family home"
        MULTI_FAMILY = "multi_family", "Multi-family home"
        BUSINESS = "business", "Business"
        PUBLIC_SPACE = "public_space", "Public space"

    class Source(models.TextChoices):
        NONE = "none", "None (registry only)"
        PUSH = "push", "Pushed by an edge device (SRT)"
        PULL = "pull", "Pulled from a URL (agency cameras only)"

    class Status(models.TextChoices):
        OFFLINE = "offline", "Offline"
        STARTING = "starting", "Starting"
        LIVE = "live", "Live"
        STALLED = "stalled", "Stalled"
        BACKOFF = "backoff", "Waiting to restart"
        STOPPED = "stopped", "Stopped"
        ERROR = "error", "Error"
        # May be seen, but relayed only while someone watches: opening it starts the video.
        IDLE = "idle", "Idle until someone watches"
        NO_CAPACITY = "no_capacity", "No relay capacity"

    class RelayMode(models.TextChoices):
        CONTINUOUS = "continuous", "Continuous: relayed and recorded at the hub while consent allows"
        ON_DEMAND = "on_demand", "On demand: relayed only while the agency watches; not recorded at the hub"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    description = models.CharField("what it sees", max_length=300, blank=True)
    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        related_name="cameras",
        help_text="The agency that may see this camera, within its owner's consent.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cameras",
        help_text="The resident or business that owns a private camera.",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PRIVATE)
    premises = models.CharField(max_length=16, choices=Premises.choices, default=Premises.SINGLE_FAMILY)
    lat = models.FloatField(validators=LATITUDE_VALIDATORS)
    lon = models.FloatField(validators=LONGITUDE_VALIDATORS)
    # The map cell of (lat, lon) (rtcc.geo.cell_of), kept by save() and bulk_create: the
    # index that serves the near search and the clustered map.
    geocell = models.BigIntegerField(default=0, editable=False, db_index=True)
    address = models.CharField(max_length=300, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone], help_text="Blank: the agency's."
    )
    enabled = models.BooleanField(default=True)
    # Agency cameras: the agency's choice. Private cameras: the owner's, made with their consent
    # (cameras.services.do_set_consent); a newly registered one starts on demand.
    relay_mode = models.CharField(max_length=16, choices=RelayMode.choices, default=RelayMode.CONTINUOUS)

    source = models.CharField(max_length=8, choices=Source.choices, default=Source.NONE)
    source_url = EncryptedTextField(blank=True, help_text="Pull cameras only; stored encrypted.")
    device = models.ForeignKey(
        "devices.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="cameras"
    )
    stream_id = models.CharField(max_length=32, unique=True, default=new_stream_id, editable=False)
    # Most IP cameras offer a second, smaller stream: the wall's grid tiles play it, an enlarged
    # tile or a 1x1 grid the main one (docs/wall.md, "Substreams"). Only a pushed camera's box
    # sends one; status, recordings, snapshots and HLS always come from the main stream.
    substream = models.BooleanField(
        default=False,
        help_text="Its box can push a second, smaller stream for the wall's grid tiles.",
    )
    srt_passphrase = EncryptedTextField(default=new_srt_passphrase, editable=False)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OFFLINE)
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    last_frame_at = models.DateTimeField(null=True, blank=True)
    snapshot_version = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CameraQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="camera_on_earth",
            ),
            # Principle 3: a resident's camera never gets a URL the hub would fetch.
            models.CheckConstraint(
                condition=Q(kind="public") | ~Q(source="pull"), name="camera_private_never_pulled"
            ),
            # The owner's decisions are the owner's: no camera is private without someone to
            # decide for it, and no owned camera is turned into an agency camera (which needs
            # no consent) by editing one column.
            models.CheckConstraint(
                condition=Q(kind="private", owner__isnull=False)
                | (~Q(kind="private") & Q(owner__isnull=True)),
                name="camera_owner_exactly_when_private",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["lat", "lon"]),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.place()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"lat", "lon"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "geocell"}
        super().save(*args, **kwargs)

    def offers_substream(self, masked: bool) -> bool:
        """Whether grid tiles may play its substream (docs/wall.md, "Substreams"): a pushed camera
        whose box sends one, and no privacy mask (its substream would need a transcode of its own)."""
        return self.substream and self.source == self.Source.PUSH and not masked

    def place(self) -> None:
        """Keep the cell in step with the position."""
        if self.lat is not None and self.lon is not None:
            self.geocell = cell_of(self.lat, self.lon)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone or self.agency.time_zone)

    def current_consent(self) -> "Consent | None":
        return self.consents.order_by("-set_at", "-pk").first()


class NewestConsentLevel(models.Func):
    """The level of the camera's newest consent row (newest `set_at`, then newest row), as a column.

    The same as `Subquery(Consent.objects.filter(camera=OuterRef("pk")).order_by("-set_at",
    "-pk").values("level")[:1])`, written out: every camera list, map and wall compiles it twice
    (the column and the visibility condition), and Django building and compiling the subquery
    each time cost a tenth of a near query's CPU. Its own alias never meets the outer query's,
    however Django relabels that one when the camera query is nested.
    """

    template = (
        '(SELECT "newest_consent"."level" FROM "cameras_consent" "newest_consent"'
        ' WHERE "newest_consent"."camera_id" = %(expressions)s'
        ' ORDER BY "newest_consent"."set_at" DESC, "newest_consent"."id" DESC LIMIT 1)'
    )

    def __init__(self):
        super().__init__(models.F("pk"), output_field=Consent._meta.get_field("level"))


class ConsentQuerySet(models.QuerySet):
    def current(self):
        """The newest row of each camera: its consent now."""
        newest = Consent.objects.filter(camera=OuterRef("camera")).order_by("-set_at", "-pk")
        return self.filter(pk=Subquery(newest.values("pk")[:1]))


# Four windows a day is more than any owner needs; the bound keeps a consent row (and the
# audit line that copies it) small.
MAX_SCHEDULE_WINDOWS = 28
CLOCK_TIME = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")


def validate_schedule(value) -> None:
    """A schedule is a list of windows: {"days": [0-6, Monday=0], "start": "HH:MM", "end": "HH:MM"}."""
    if not isinstance(value, list):
        raise ValidationError("The schedule must be a list of weekly windows.")
    if len(value) > MAX_SCHEDULE_WINDOWS:
        raise ValidationError(f"A schedule has at most {MAX_SCHEDULE_WINDOWS} windows.")
    for number, window in enumerate(value, start=1):
        if not isinstance(window, dict) or set(window) != {"days", "start", "end"}:
            raise ValidationError(f"Window {number} needs exactly 'days', 'start' and 'end'.")
        days = window["days"]
        # Whole numbers only: 2.0 or true would pass `in range(7)` and break whoever indexes by day.
        if (
            not isinstance(days, list)
            or not 1 <= len(days) <= 7
            or not all(type(day) is int and 0 <= day <= 6 for day in days)
        ):
            raise ValidationError(f"Window {number}: days are numbers 0 (Monday) to 6 (Sunday).")
        # Exactly HH:MM: fromisoformat alone takes "08:00+05:00", which cannot be compared with local time.
        start, end = window["start"], window["end"]
        if not all(isinstance(clock, str) and CLOCK_TIME.fullmatch(clock) for clock in (start, end)):
            raise ValidationError(f"Window {number}: start and end are times like 08:00.")
        if start == end:
            raise ValidationError(f"Window {number}: start and end are the same time.")


class Consent(models.Model):
    """What a camera's owner shares, from a moment on. Append-only: the newest row is in force."""

    class Level(models.TextChoices):
        # From least to most shared: premises rules compare levels by this order.
        NONE = "none", "Not shared (revoked)"
        REGISTRY = "registry", "Registry: location only"
        ON_REQUEST = "on_request", "Footage on request"
        LIVE = "live", "Live"

        @classmethod
        def rank(cls, level: str) -> int:
            return cls.values.index(level)

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="consents")
    level = models.CharField(max_length=16, choices=Level.choices)
    schedule = models.JSONField(
        default=list, blank=True, validators=[validate_schedule], help_text="Empty: at all times."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    incident_radius_m = models.PositiveIntegerField(
        null=True, blank=True, help_text="Live only while an open incident is within this distance."
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-set_at", "-pk"]
        indexes = [models.Index(fields=["camera", "-set_at", "-id"])]

    def __str__(self):
        return f"{self.camera}: {self.get_level_display()} from {self.set_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Consent is append-only: record a new row instead of changing one.")
        super().save(*args, **kwargs)

    def in_schedule(self, when: datetime, tz: zoneinfo.ZoneInfo) -> bool:
        if not self.schedule:
            return True
        local = when.astimezone(tz)
        for window in self.schedule:
            start = time.fromisoformat(window["start"])
            end = time.fromisoformat(window["end"])
            clock = local.time()
            if start < end:
                if local.weekday() in window["days"] and start <= clock < end:
                    return True
            # A window over midnight belongs to the day it starts on.
            elif (local.weekday() in window["days"] and clock >= start) or (
                (local.weekday() - 1) % 7 in window["days"] and clock < end
            ):
                return True
        return False


class PrivacyMask(models.Model):
    """A rectangle of a camera's picture blacked out before any pixel leaves the hub."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="privacy_masks")
    label = models.CharField(max_length=100, blank=True)
    # Fractions of the picture's width and height, so masks survive a change of resolution.
    x = models.FloatField()
    y = models.FloatField()
    width = models.FloatField()
    height = models.FloatField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["camera", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(x__gte=0, y__gte=0, width__gt=0, height__gt=0),
                name="mask_positive",
            ),
            models.CheckConstraint(
                condition=Q(x__lte=1 - models.F("width"), y__lte=1 - models.F("height")),
                name="mask_inside_picture",
            ),
        ]

    def __str__(self):
        return self.label or f"Mask {self.pk} on {self.camera}"


from cameras.footage.models import (  # noqa: E402,F401 -- footage's own
    EvidenceHold,
    FootageExport,
    FootageRequest,
)
from cameras.premises import PremisesRule  # noqa: E402,F401 -- each agency's premises ordinance
from cameras.relay.models import RelayLease, RelayNode  # noqa: E402,F401 -- the relay fleet owns its models
from cameras.sharing.models import CameraShare  # noqa: E402,F401 -- shares between agencies
from cameras.viewing.models import ViewingSession  # noqa: E402,F401 -- purpose-bound viewing
from cameras.wall.models import Layout, WallPush  # noqa: E402,F401 -- the wall owns its models

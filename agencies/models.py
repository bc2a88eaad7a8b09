from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from rtcc.validators import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS, validate_timezone


class Agency(models.Model):
    """A police agency that runs a real-time crime center."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    lat = models.FloatField("centre latitude", validators=LATITUDE_VALIDATORS)
    lon = models.FloatField("centre longitude", validators=LONGITUDE_VALIDATORS)
    jurisdiction_radius_m = models.PositiveIntegerField(default=10_000)
    incident_radius_m = models.PositiveIntegerField(
        default=300, help_text="Cameras within this distance pop up with a new incident."
    )
    incident_camera_count = models.PositiveSmallIntegerField(
        default=4, help_text="How many of the nearest cameras dock with a new incident."
    )
    retention_days = models.PositiveSmallIntegerField(
        default=30, help_text="Recordings older than this are deleted."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180),
                name="agency_centre_on_earth",
            ),
            models.CheckConstraint(condition=Q(retention_days__gte=1), name="agency_retention_positive"),
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's role in one agency; a user belongs to at most one agency."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Agency admin"
        SUPERVISOR = "supervisor", "Supervisor"
        DISPATCHER = "dispatcher", "Dispatcher"
        ANALYST = "analyst", "Analyst"
        OVERSIGHT = "oversight", "Oversight"
        CAD = "cad", "CAD integration"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.DISPATCHER)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["agency", "user__username"]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.agency.slug})"

    @property
    def watches_video(self) -> bool:
        return self.role in {
            self.Role.ADMIN,
            self.Role.SUPERVISOR,
            self.Role.DISPATCHER,
            self.Role.ANALYST,
        }


class Incident(models.Model):
    """An event reported by dispatch (CAD) that cameras near it may help with."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="incidents")
    external_id = models.CharField("CAD id", max_length=64)
    kind = models.CharField(max_length=100)
    priority = models.PositiveSmallIntegerField(default=3, help_text="1 is the most urgent.")
    lat = models.FloatField(validators=LATITUDE_VALIDATORS)
    lon = models.FloatField(validators=LONGITUDE_VALIDATORS)
    address = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "external_id"], name="incident_unique_cad_id"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=9), name="incident_priority_range"
            ),
        ]
        indexes = [models.Index(fields=["agency", "closed_at", "-opened_at"])]

    def __str__(self):
        return f"{self.external_id} {self.kind}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AccessEvent(models.Model):
    """One line of the audit trail: who did what to which object, why, and how it ended."""

    class Action(models.TextChoices):
        VIEW_START = "view_start", "Started viewing"
        VIEW_STOP = "view_stop", "Stopped viewing"
        LIVE_URL = "live_url", "Issued a live URL"
        EXPORT = "export", "Exported footage"
        CONSENT_CHANGE = "consent_change", "Changed consent"
        FOOTAGE_REQUEST = "footage_request", "Requested footage"
        FOOTAGE_ANSWER = "footage_answer", "Answered a footage request"
        CAMERA_CHANGE = "camera_change", "Changed a camera"
        DELETION = "deletion", "Deleted data"
        SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"
        ERROR = "error", "Error"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The name survives the user's deletion: an audit line must still say who.
    actor_name = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="access_events"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="access_events"
    )
    case_number = models.CharField(max_length=64, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.ALLOWED)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["agency", "-at"]),
            models.Index(fields=["target_type", "target_id", "-at"]),
            models.Index(fields=["action", "-at"]),
        ]

    def __str__(self):
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_action_display()} {self.target_label}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only; they are never changed.")
        super().save(*args, **kwargs)


class ViewingSession(models.Model):
    """A purpose-bound look at one camera's live video: opened with a reason, closed when done."""

    class EndReason(models.TextChoices):
        VIEWER = "viewer", "Closed by the viewer"
        EXPIRED = "expired", "Expired"
        INCIDENT_CLOSED = "incident_closed", "Incident closed"
        CONSENT_REVOKED = "consent_revoked", "Consent revoked"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="viewing_sessions"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="viewing_sessions")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="viewing_sessions")
    purpose = models.CharField(max_length=300)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="viewing_sessions"
    )
    case_number = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["camera", "ended_at"]),
            models.Index(fields=["incident", "ended_at"]),
            models.Index(fields=["user", "camera", "ended_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(incident__isnull=True, case_number=""), name="viewing_needs_incident_or_case"
            )
        ]

    def __str__(self):
        return f"{self.user} on {self.camera} ({self.purpose})"

    def is_open_at(self, when) -> bool:
        return self.ended_at is None and when < self.expires_at

import datetime
import hashlib
import ipaddress
import json

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models, transaction
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
    use_policy = models.TextField(
        blank=True, help_text="The surveillance use policy, published with the annual report."
    )
    oversight_contact = models.CharField(
        max_length=300, blank=True, help_text="Who the public may write to about the use of cameras."
    )
    # The kill switch: set and cleared only by `do_suspend_agency` / `do_reinstate_agency`, on a
    # council's or court's order. While set, nothing of the agency is relayed, watched or served.
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)
    suspension_order = models.CharField(
        "suspension order", max_length=100, blank=True, editable=False, help_text="The order's reference."
    )
    suspension_reason = models.CharField(max_length=500, blank=True, editable=False)
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

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def suspension_refusal(self) -> str:
        """What a refused request of a suspended agency says; empty while it is not suspended."""
        if self.suspended_at is None:
            return ""
        return f"{self.name} is suspended by order {self.suspension_order}: {self.suspension_reason}"


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
        return self.role in VIEWING_ROLES


# The roles that watch video; oversight reads the audit, CAD only reports incidents.
VIEWING_ROLES = frozenset(
    {Membership.Role.ADMIN, Membership.Role.SUPERVISOR, Membership.Role.DISPATCHER, Membership.Role.ANALYST}
)


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
    # A dispatcher's answer on the wall: taken in hand (the alert stops), or taken off the
    # agency's walls while CAD keeps it open (viewing opened for it goes on).
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


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
        ACCOUNT_CHANGE = "account_change", "Changed an account's access"
        RECORD_CHANGE = "record_change", "Changed a record"
        ACCESS_CHANGE = "access_change", "Changed someone's access"
        PLATFORM_OVERRIDE = "platform_override", "Overrode an owner's decision (platform)"
        ANNOTATION = "annotation", "Annotated an audit line"
        SUSPENSION = "suspension", "Suspended or reinstated an agency"
        DELETION_ORDER = "deletion_order", "Deleted footage by order"
        EVIDENCE_HOLD = "evidence_hold", "Placed or released an evidence hold"

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
    # Each agency's events form a hash chain: a changed or deleted line breaks every digest after it.
    sequence = models.PositiveBigIntegerField(editable=False)
    previous_digest = models.CharField(max_length=64, editable=False)
    digest = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["agency", "-at"]),
            models.Index(fields=["target_type", "target_id", "-at"]),
            models.Index(fields=["action", "-at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["agency", "sequence"], name="audit_chain_sequence_unique")
        ]

    def __str__(self):
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.get_action_display()} {self.target_label}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only; they are never changed.")
        if self.source_ip:
            self.source_ip = ipaddress.ip_address(self.source_ip).compressed
        with transaction.atomic():
            # The lock orders concurrent writers: each links to the head the previous one left.
            chain, _ = AuditChain.objects.select_for_update().get_or_create(
                key=AuditChain.key_for(self.agency_id)
            )
            self.sequence = chain.length + 1
            self.previous_digest = chain.head
            self.digest = self.compute_digest()
            super().save(*args, **kwargs)
            AuditChain.objects.filter(pk=chain.pk).update(length=self.sequence, head=self.digest)

    def canonical_content(self) -> str:
        """The exact text this line's digest covers; the audit export publishes it as is."""
        fields = {
            "sequence": self.sequence,
            "at": self.at.astimezone(datetime.UTC).isoformat(),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "agency_id": self.agency_id,
            "action": self.action,
            "target": [self.target_type, self.target_id, self.target_label],
            "purpose": self.purpose,
            "incident_id": self.incident_id,
            "case_number": self.case_number,
            "source_ip": self.source_ip,
            "outcome": self.outcome,
            "detail": self.detail,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)

    def compute_digest(self) -> str:
        return hashlib.sha256((self.previous_digest + self.canonical_content()).encode()).hexdigest()


class AuditChain(models.Model):
    """The newest link of one agency's hash-chained audit trail, published on the transparency page."""

    GENESIS = "0" * 64

    key = models.CharField(max_length=32, unique=True)
    length = models.PositiveBigIntegerField(default=0)
    head = models.CharField(max_length=64, default=GENESIS)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return f"{self.key}: {self.length} events, head {self.head[:12]}"

    @staticmethod
    def key_for(agency_id: int | None) -> str:
        return f"agency-{agency_id}" if agency_id is not None else "global"


class UserSession(AbstractBaseSession):
    """A browser sign-in: Django's session row plus its user, so that ending access finds every one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        # The store names this model as its own: a real cycle, resolved at call time.
        from agencies.signin.sessions import SessionStore

        return SessionStore


class OversightRecord(models.Model):
    """A complaint received, a violation of the use policy found, or a data breach, as the agency recorded it."""

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", "Complaint received"
        VIOLATION = "violation", "Violation of the use policy"
        BREACH = "breach", "Data breach"

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="oversight_records")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    occurred_on = models.DateField(help_text="When it happened (or, for a complaint, when it was received).")
    summary = models.TextField(help_text="What happened, without names of members of the public.")
    action_taken = models.TextField(blank=True, help_text="What was done about it, if anything yet.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["agency", "kind", "occurred_on"])]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.occurred_on:%Y-%m-%d}"

import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# How long an owner has to answer before a request lapses.
ANSWER_WITHIN = timedelta(days=7)


def default_answer_by():
    return timezone.now() + ANSWER_WITHIN


def case_window_constraints(prefix: str) -> list:
    """A window of recordings that ends after it starts, asked for under a case number."""
    return [
        models.CheckConstraint(condition=Q(end__gt=F("start")), name=f"{prefix}_window_ordered"),
        models.CheckConstraint(condition=~Q(case_number=""), name=f"{prefix}_needs_case_number"),
    ]


class FootageRequest(models.Model):
    """An agency's request for one camera's recordings of a time window, answered by the owner."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the owner"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired unanswered"

    # One row per camera: each owner answers for their own camera only, and an agency
    # learns the answer on each row, never which other owner declined what.
    batch = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="footage_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="footage_requests"
    )
    camera = models.ForeignKey("cameras.Camera", on_delete=models.PROTECT, related_name="footage_requests")
    start = models.DateTimeField()
    end = models.DateTimeField()
    case_number = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    answer_by = models.DateTimeField(default=default_answer_by)
    answered_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="What happened to the clip, if anything.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["camera", "status", "-created_at"]),
            models.Index(fields=["agency", "-created_at"]),
        ]
        constraints = case_window_constraints("footage")

    def __str__(self):
        return f"{self.case_number}: {self.camera} {self.start:%Y-%m-%d %H:%M}"

    def lapsed(self, now=None) -> bool:
        return self.status == self.Status.PENDING and (now or timezone.now()) >= self.answer_by

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


class FootageExport(models.Model):
    """A clip cut from a camera's recordings for an approved request, with its SHA-256 manifest."""

    request = models.ForeignKey(FootageRequest, on_delete=models.PROTECT, related_name="exports")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.PROTECT, related_name="footage_exports")
    file_path = models.CharField(max_length=500, help_text="Relative to MEDIA_ROOT.")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    manifest = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    delivered = models.BooleanField(default=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="The file was deleted at its owner's request."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["camera", "delivered"])]
        constraints = [models.UniqueConstraint(fields=["request"], name="footage_one_export_per_request")]

    def __str__(self):
        return f"{self.camera} for {self.request.case_number} ({self.sha256[:12]})"

    @property
    def absolute_path(self):
        return settings.MEDIA_ROOT / self.file_path


class EvidenceHoldQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(released_at__isnull=True)


class CaseWindow(models.Model):
    """A window of a camera's recordings taken for a case, and why (holds and exports)."""

    start = models.DateTimeField()
    end = models.DateTimeField()
    case_number = models.CharField(max_length=64)
    reason = models.CharField(max_length=500)

    class Meta:
        abstract = True

    def covers(self, start, end) -> bool:
        """Does the window overlap [start, end)?"""
        return self.start < end and start < self.end


class EvidenceHold(CaseWindow):
    """A case's hold on a camera's recordings of a window: retention deletes none of it until released."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="evidence_holds")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.PROTECT, related_name="evidence_holds")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    placed_at = models.DateTimeField(default=timezone.now, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=500, blank=True)

    objects = EvidenceHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        indexes = [
            models.Index(fields=["camera", "released_at"]),
            models.Index(fields=["agency", "released_at"]),
        ]
        constraints = case_window_constraints("hold")

    def __str__(self):
        return f"Hold {self.case_number}: {self.camera} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class RecordingExport(CaseWindow):
    """A watermarked clip an agency cut from its own camera's hub recordings, with its SHA-256 manifest."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="recording_exports")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.PROTECT, related_name="recording_exports")
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="recording_exports"
    )
    file_path = models.CharField(max_length=500, help_text="Relative to MEDIA_ROOT.")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    manifest = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # Newest first, per agency (the list, the report) and per camera (its history).
        indexes = [models.Index(fields=[owner, "-created_at"]) for owner in ("agency", "camera")]
        constraints = case_window_constraints("recording_export")

    def __str__(self):
        return f"{self.camera} for {self.case_number} ({self.sha256[:12]})"

    @property
    def absolute_path(self):
        return Path(settings.MEDIA_ROOT) / self.file_path

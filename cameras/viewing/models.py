"""Viewing sessions: a purpose-bound look at one camera's live video."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency, Incident


class ViewingSession(models.Model):
    """A purpose-bound look at one camera's live video: opened with a reason, closed when done."""

    class EndReason(models.TextChoices):
        VIEWER = "viewer", "Closed by the viewer"
        EXPIRED = "expired", "Expired"
        INCIDENT_CLOSED = "incident_closed", "Incident closed"
        CONSENT_REVOKED = "consent_revoked", "Consent revoked"
        WALL_CLOSED = "wall_closed", "Wall closed"
        SUSPENDED = "suspended", "Agency suspended"
        SHARE_ENDED = "share_ended", "Share ended"

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
        # The table keeps the name it had when sessions lived in agencies (migrations move state only).
        db_table = "agencies_viewingsession"
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

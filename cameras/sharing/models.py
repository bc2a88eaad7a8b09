"""Shares between agencies: agency A lets agency B see some of its cameras for a window, a purpose and a scope."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class CameraShareQuerySet(models.QuerySet):
    def in_force(self, now=None):
        """Shares that give access at `now`: begun, not ended, not revoked."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, starts_at__lte=now, ends_at__gt=now)

    def overlapping(self, since, until):
        """Shares whose window meets [since, until) (no end: up to now and beyond), revoked or not.

        A revoked share ended at its revocation.
        """
        shares = self.filter(ends_at__gt=since).exclude(revoked_at__lte=since)
        return shares if until is None else shares.filter(starts_at__lt=until)


class CameraShare(models.Model):
    """Agency A's cameras shown to agency B from `starts_at` to `ends_at`, live and/or recorded, until revoked."""

    from_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="shares_given")
    to_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="shares_received")
    cameras = models.ManyToManyField("cameras.Camera", related_name="shares")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    purpose = models.CharField(max_length=300)
    # What the share rests on (a mutual-aid agreement, a memorandum, an order): the report's "under which grant".
    authority = models.CharField(max_length=200)
    live = models.BooleanField(default=True, help_text="Agency B may watch these cameras live.")
    recorded = models.BooleanField(default=False, help_text="Agency B may use these cameras' recordings.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once the share's end (revocation or expiry) has been carried out: walls told, viewing ended.
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CameraShareQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [
            models.Index(fields=["to_agency", "revoked_at", "ends_at"]),
            models.Index(fields=["from_agency", "starts_at"]),
            models.Index(fields=["closed_at", "ends_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="share_window_ordered"),
            models.CheckConstraint(condition=~Q(from_agency=F("to_agency")), name="share_between_agencies"),
            models.CheckConstraint(condition=Q(live=True) | Q(recorded=True), name="share_has_scope"),
        ]

    def __str__(self):
        return f"Share {self.pk}: {self.from_agency} to {self.to_agency}"

    @property
    def scope(self) -> list[str]:
        return [name for name in ("live", "recorded") if getattr(self, name)]

    def ended_at(self):
        """When the share stopped (or will stop) giving access."""
        return min(self.ends_at, self.revoked_at) if self.revoked_at else self.ends_at

    def is_in_force(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.starts_at <= now < self.ends_at


def camera_ids_shared_with(agency_id: int, now=None, *, live: bool = False):
    """The ids of cameras shared with the agency now (only those shared live, with `live`), as a subquery."""
    shares = CameraShare.objects.in_force(now).filter(to_agency_id=agency_id)
    if live:
        shares = shares.filter(live=True)
    return CameraShare.cameras.through.objects.filter(camerashare__in=shares).values("camera_id")

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough and lets us look them up.
    return hashlib.sha256(token.encode()).hexdigest()


class Device(models.Model):
    """An edge box that turns local cameras into encrypted streams pushed to the hub."""

    class State(models.TextChoices):
        STOCK = "stock", "In stock"
        CLAIMED = "claimed", "Claimed by an owner"
        ENROLLED = "enrolled", "Enrolled"
        RETIRED = "retired", "Retired"

    serial = models.CharField(max_length=64, unique=True)
    model = models.CharField(max_length=64, default="rtcc-edge")
    claim_code_hash = models.CharField(max_length=128, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.STOCK)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    firmware_version = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["serial"]
        indexes = [
            models.Index(fields=["agency", "state"]),
            models.Index(fields=["last_heartbeat_at"]),
        ]

    def __str__(self):
        return self.serial

    def set_claim_code(self, code: str) -> None:
        self.claim_code_hash = make_password(code.strip().upper())

    def check_claim_code(self, code: str) -> bool:
        return check_password(code.strip().upper(), self.claim_code_hash)

    def issue_token(self) -> str:
        """Give the device a new token; only its hash is kept, so this is the one time it is seen."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    @property
    def is_online(self) -> bool:
        if self.last_heartbeat_at is None:
            return False
        return (timezone.now() - self.last_heartbeat_at).total_seconds() < 90

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone

from rtcc.crypto import KEYED_DIGEST_PREFIX, keyed_digest, keyed_digest_matches

# Letters and digits that cannot be misread on a printed label (no 0/O, 1/I/L, 5/S, 8/B, 2/Z).
CLAIM_CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CLAIM_CODE_PURPOSE = "device-claim-code"
# A box's token is replaced at its next heartbeat once it is this old.
TOKEN_MAX_AGE_DAYS = 365


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough and lets us look them up.
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_claim_code(code: str) -> str:
    """What counts of a typed code: its letters and digits, in any case, with or without the dash."""
    return "".join(code.split()).replace("-", "").upper()


def new_claim_code() -> str:
    """Eight characters in two groups of four (about 37 bits), easy to read off a label and type."""
    chars = "".join(secrets.choice(CLAIM_CODE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


class Device(models.Model):
    """An edge box that turns local cameras into encrypted streams pushed to the hub."""

    class State(models.TextChoices):
        STOCKED = "stocked", "In stock"
        ASSIGNED = "assigned", "Assigned for hand-over"
        CLAIMED = "claimed", "Claimed by an owner"
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"
        RETIRED = "retired", "Retired"

    class Delivery(models.TextChoices):
        SOLD = "sold", "Sold"
        SUBSIDISED = "subsidised", "Subsidised"
        GIVEN = "given", "Given"

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
    state = models.CharField(max_length=16, choices=State.choices, default=State.STOCKED)
    state_changed_at = models.DateTimeField(default=timezone.now)
    # How the box reached its owner, for billing: set when the agency assigns it.
    delivery = models.CharField(max_length=16, choices=Delivery.choices, blank=True)
    recipient = models.CharField(
        max_length=200, blank=True, help_text="Who the box is handed to, as the agency knows them."
    )
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_rotation_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when the agency revokes the box's token: it cannot enroll again until it is given a new claim code.
    token_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    firmware_version = models.CharField(max_length=32, blank=True)
    agent_version = models.CharField(max_length=32, blank=True)
    # The owner's local switch: while set, the box pushes and uploads nothing, whatever the hub asks.
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where the owner paused it: on the box (only the box resumes it) or in the portal.
    paused_from = models.CharField(
        max_length=8, blank=True, editable=False, choices=[("box", "on the box"), ("portal", "in the portal")]
    )
    # Per camera id (a string, as JSON keys are): frames, bitrate_kbps, errors, as last reported.
    camera_health = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["serial"]
        indexes = [
            models.Index(fields=["agency", "state"]),
            models.Index(fields=["last_heartbeat_at"]),
            models.Index(fields=["state", "last_heartbeat_at"], name="devices_state_heartbeat_idx"),
        ]

    def __str__(self):
        return self.serial

    def set_claim_code(self, code: str) -> None:
        self.claim_code_hash = keyed_digest(normalise_claim_code(code), CLAIM_CODE_PURPOSE)

    def check_claim_code(self, code: str) -> bool:
        if self.claim_code_hash.startswith(KEYED_DIGEST_PREFIX):
            return keyed_digest_matches(normalise_claim_code(code), self.claim_code_hash, CLAIM_CODE_PURPOSE)
        # Rows from before keyed digests hold a password hash of the code as typed; they still verify.
        return check_password(code.strip().upper(), self.claim_code_hash)

    def issue_token(self) -> str:
        """Give the device a new token; only its hash is kept, so this is the one time it is seen."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.token_issued_at = timezone.now()
        self.token_rotation_requested_at = None
        return token

    def token_rotation_due(self, now=None) -> bool:
        if self.token_rotation_requested_at is not None:
            return True
        now = now or timezone.now()
        return self.token_issued_at is not None and (now - self.token_issued_at).days >= TOKEN_MAX_AGE_DAYS


class BoxUpload(models.Model):
    """A window of a camera's recordings that its box is asked to upload: an approved footage request
    for a camera whose video is kept on the box (devices/uploads.py)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested from the box"
        COMPLETE = "complete", "Uploaded and verified"
        FAILED = "failed", "Failed"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="uploads")
    camera = models.ForeignKey("cameras.Camera", on_delete=models.CASCADE, related_name="box_uploads")
    footage_request = models.OneToOneField(
        "cameras.FootageRequest", on_delete=models.CASCADE, related_name="box_upload"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    # What the box said it sent: [{"name", "size", "sha256"}], each checked against the bytes received.
    files = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["device", "status"])]

    def __str__(self):
        return f"upload {self.pk} of camera {self.camera_id} from {self.device_id}"

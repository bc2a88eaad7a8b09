"""Relay nodes and the leases by which each holds the cameras it relays."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class RelayNode(models.Model):
    """A process that runs ffmpeg relays, alive while its heartbeat is fresh."""

    name = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    srt_host = models.CharField(
        max_length=255, blank=True, help_text="The address devices call to push to this node."
    )
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    capacity = models.PositiveIntegerField(
        default=100, help_text="The most relays this node runs at once (RTCC_RELAY_CAPACITY)."
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["heartbeat_at"])]

    def __str__(self):
        return self.name


class RelayLease(models.Model):
    """One camera's relay, held by one node until `expires_at` unless renewed; one row per camera."""

    camera = models.OneToOneField("cameras.Camera", on_delete=models.CASCADE, related_name="relay_lease")
    node = models.ForeignKey(RelayNode, on_delete=models.CASCADE, related_name="leases")
    acquired_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    # The UDP port of the holder's range it listens on for a pushed camera (cameras/relay/ports.py).
    srt_port = models.PositiveIntegerField(null=True, blank=True)
    # The port it listens on for the camera's substream, while someone watches that (else None).
    sub_srt_port = models.PositiveIntegerField(null=True, blank=True)

    # What the holder last saw of its ffmpeg, for `manage.py relays`.
    status = models.CharField(max_length=16, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    process_started_at = models.DateTimeField(null=True, blank=True)
    restarts = models.PositiveIntegerField(default=0)
    fps = models.FloatField(default=0)
    bitrate_kbps = models.FloatField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["camera_id"]
        indexes = [models.Index(fields=["node", "expires_at"]), models.Index(fields=["expires_at"])]
        constraints = [
            # A node never gives one port to two cameras.
            models.UniqueConstraint(fields=["node", "srt_port"], name="lease_one_camera_per_node_port"),
            models.CheckConstraint(
                condition=Q(expires_at__gte=models.F("acquired_at")), name="lease_expires_after_acquired"
            ),
        ]

    def __str__(self):
        return f"camera {self.camera_id} on {self.node_id} until {self.expires_at:%H:%M:%S}"

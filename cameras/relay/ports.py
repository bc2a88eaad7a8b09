"""Where an edge device pushes a camera's SRT stream.

The port is deterministic: `RTCC_SRT_PORT_BASE + camera id`. A device therefore needs
no answer from the hub to know where to call, and any relay node that takes the camera
over listens on the same port, so a device that reconnects after a node dies reaches
the new node without being told. The host is the node that holds the camera's lease
(its `srt_host`), or `RTCC_SRT_HOST` (a load balancer or DNS name in front of the
nodes) when no node holds it yet.
"""

from django.conf import settings
from django.utils import timezone

from cameras.relay.models import RelayLease

MAX_PORT = 65535


def srt_port(camera_id: int) -> int:
    port = settings.RTCC_SRT_PORT_BASE + camera_id
    if port > MAX_PORT:
        raise ValueError(
            f"camera {camera_id} has no SRT port under RTCC_SRT_PORT_BASE={settings.RTCC_SRT_PORT_BASE}; "
            "lower the base or split cameras over several hubs"
        )
    return port


def push_target(camera) -> tuple[str, int]:
    """(host, port) the camera's edge device must call in SRT caller mode."""
    lease = RelayLease.objects.select_related("node").filter(camera_id=camera.pk).first()
    host = settings.RTCC_SRT_HOST
    if lease is not None and lease.is_held_at(timezone.now()) and lease.node.srt_host:
        host = lease.node.srt_host
    return host, srt_port(camera.pk)

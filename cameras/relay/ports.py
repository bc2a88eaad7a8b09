"""Where an edge box pushes a camera's SRT stream: a port of the holding node's range.

Each relay node listens on ports of its own range (`RTCC_SRT_PORT_RANGE`). When it takes a
pushed camera's lease it picks a free port of the range, stores it on the lease and listens
there; the box learns host and port in its orders (`devices.control`) and pushes only then.
A port therefore belongs to one camera on one node while the lease lasts, and a camera that
moves to another node gets that node's port.

The range must lie outside the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`):
ports the kernel hands out to outgoing connections (a database client, an HTTP call) would
otherwise take a relay's port at random, and its camera would never start. A node refuses to
start on such a range, and on one whose every port is taken.
"""

import socket
import time
from pathlib import Path

from django.conf import settings

from cameras.relay.leases import unexpired
from cameras.relay.models import RelayLease

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
# A port ffmpeg could not bind is not offered again for this long.
REFUSED_PORT_SECONDS = 60.0


class PortRangeRefused(RuntimeError):
    """The node's port range cannot be used; the message says why and what to do."""


def ephemeral_range(path: Path = EPHEMERAL_RANGE) -> tuple[int, int] | None:
    try:
        low, high = path.read_text().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):
        return None


def udp_port_free(port: int) -> bool:
    """Whether a listener could bind the port now (what ffmpeg's SRT listener binds: 0.0.0.0, UDP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 -- the address the relay listens on
        except OSError:
            return False
    return True


def check_port_range(low: int, high: int, *, ephemeral: tuple[int, int] | None = None) -> None:
    """Refuse a range that overlaps the ephemeral ports or whose every port is taken."""
    ephemeral = ephemeral or ephemeral_range()
    name = f"RTCC_SRT_PORT_RANGE={low}-{high}"
    if ephemeral is not None and low <= ephemeral[1] and high >= ephemeral[0]:
        raise PortRangeRefused(
            f"{name} overlaps the kernel's ephemeral port range {ephemeral[0]}-{ephemeral[1]} "
            f"({EPHEMERAL_RANGE}), from which outgoing connections take their ports at random; "
            f"choose a range outside it, e.g. {max(1024, ephemeral[0] - 1000)}-{ephemeral[0] - 1}."
        )
    if not any(udp_port_free(port) for port in range(low, high + 1)):
        raise PortRangeRefused(
            f"every port of {name} is in use by another program (see `ss -lunp`); choose another range."
        )


class PortPool:
    """The node's ports: which camera holds which, and which ports would not bind lately."""

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high
        self.held: dict[int, int] = {}  # camera id -> port
        self.refused: dict[int, float] = {}  # port -> monotonic time until which it is skipped

    def take(self, camera_id: int) -> int | None:
        """A free port for the camera (its own if it holds one); None when the range is full."""
        if camera_id in self.held:
            return self.held[camera_id]
        now = time.monotonic()
        in_use = set(self.held.values())
        for port in range(self.low, self.high + 1):
            if port in in_use or self.refused.get(port, 0) > now:
                continue
            if udp_port_free(port):
                self.held[camera_id] = port
                return port
            self.refused[port] = now + REFUSED_PORT_SECONDS
        return None

    def give_back(self, camera_id) -> None:
        """Free the camera's port, and its substream's (held as `("sub", camera id)`)."""
        self.held.pop(camera_id, None)
        if isinstance(camera_id, int):
            self.held.pop(("sub", camera_id), None)

    def give_back_main(self, camera_id: int) -> None:
        """Free only the camera's main port: its substream, relayed alone now, keeps its own."""
        self.held.pop(camera_id, None)

    def refuse(self, camera_id: int) -> None:
        """The camera's port would not bind: skip it for a while and let the camera take another."""
        port = self.held.pop(camera_id, None)
        if port is not None:
            self.refused[port] = time.monotonic() + REFUSED_PORT_SECONDS


def held_push_targets(camera_ids) -> dict[int, tuple[str, int]]:
    """{camera id: (host, port)} of the pushed cameras a node listens for now: a box is told to
    push only these. A camera without an unexpired lease and its port has no listener."""
    held = RelayLease.objects.select_related("node").filter(
        unexpired(), camera_id__in=list(camera_ids), srt_port__isnull=False
    )
    return {
        lease.camera_id: (lease.node.srt_host or settings.RTCC_SRT_HOST, lease.srt_port) for lease in held
    }


def held_substream_targets(camera_ids) -> dict[int, tuple[str, int]]:
    """{camera id: (host, port)} of the substreams a node listens for now (docs/wall.md, "Substreams")."""
    held = RelayLease.objects.select_related("node").filter(
        unexpired(), camera_id__in=list(camera_ids), sub_srt_port__isnull=False
    )
    return {
        lease.camera_id: (lease.node.srt_host or settings.RTCC_SRT_HOST, lease.sub_srt_port) for lease in held
    }


def substream_id(stream_id: str) -> str:
    """The SRT stream id a box pushes a camera's substream with: the camera's own, marked."""
    return f"{stream_id}.sub"


def push_target(camera) -> tuple[str, int] | None:
    """(host, port) the camera's box must call in SRT caller mode now; None while no node listens."""
    return held_push_targets([camera.pk]).get(camera.pk)

"""List every relay of the fleet: node, camera, SRT port, status, uptime, fps, bitrate, restarts, last error."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from cameras.models import Camera
from cameras.relay import leases
from cameras.relay.demand import DemandUnknown, demanded_camera_ids
from cameras.relay.desired import desired_cameras
from cameras.relay.models import RelayLease, RelayNode


def demanded_or_none() -> set[int]:
    try:
        return demanded_camera_ids()
    except DemandUnknown:
        return set()


def as_column(condition: Q) -> ExpressionWrapper:
    """Whether a row meets the condition, as a column."""
    return ExpressionWrapper(condition, output_field=BooleanField())


COLUMNS = ("node", "camera", "port", "status", "uptime", "fps", "kbit/s", "restarts", "last error")


def uptime(started_at, now) -> str:
    if started_at is None:
        return "-"
    seconds = int((now - started_at).total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Command(BaseCommand):
    help = "Show every relay in the fleet and the nodes that run them."

    def handle(self, *args, **options):
        now = timezone.now()
        rows = []
        # Held and alive by the database's clock, the one the nodes decide by.
        every_lease = RelayLease.objects.select_related("node", "camera").annotate(
            held=as_column(leases.unexpired())
        )
        for lease in every_lease.order_by("node__name", "camera_id"):
            node = lease.node.name if lease.held else f"{lease.node.name} (lapsed)"
            rows.append(
                (
                    node,
                    f"{lease.camera_id} {lease.camera.name}",
                    # "20001 sub 20002" while its substream is relayed too (docs/wall.md).
                    str(lease.srt_port or "-") + (f" sub {lease.sub_srt_port}" if lease.sub_srt_port else ""),
                    lease.camera.status,
                    uptime(lease.process_started_at, now),
                    f"{lease.fps:.1f}",
                    f"{lease.bitrate_kbps:.0f}",
                    str(lease.restarts),
                    lease.last_error or lease.camera.status_reason,
                )
            )
        self.print_table(rows)
        lease_seconds = settings.RTCC_RELAY_LEASE_SECONDS
        held_by = leases.held_per_node()
        nodes = [
            f"{n.name} ({'alive' if n.alive else 'down'}, {n.hostname} pid {n.pid}, "
            f"{held_by.get(n.name, 0)} of {n.capacity})"
            for n in RelayNode.objects.annotate(
                alive=as_column(leases.alive(lease_seconds) & Q(stopped_at=None))
            )
        ]
        self.stdout.write(f"\n{len(rows)} relays; nodes: {', '.join(nodes) or 'none'}")
        relayed = set(RelayLease.objects.filter(leases.unexpired()).values_list("camera_id", flat=True))
        waiting = sorted(set(desired_cameras(now, demanded_or_none())) - relayed)
        if waiting:
            self.stdout.write(f"{len(waiting)} cameras may be seen but no node relays them: {waiting}")
        full = list(Camera.objects.filter(status=Camera.Status.NO_CAPACITY).values_list("pk", flat=True))
        if full:
            self.stdout.write(f"{len(full)} cameras wait for a node with room (no_capacity): {full}")

    def print_table(self, rows) -> None:
        widths = [max(len(str(cell)) for cell in column) for column in zip(COLUMNS, *rows, strict=False)]
        for row in (COLUMNS, *rows):
            self.stdout.write(
                "  ".join(
                    str(cell)[:80].ljust(width) for cell, width in zip(row, widths, strict=False)
                ).rstrip()
            )

"""Leases: which node relays which camera, claimed and renewed with conditional UPDATEs.

A lease lapses `RTCC_RELAY_LEASE_SECONDS` after its last renewal. Every write is one
`UPDATE ... WHERE` (or an INSERT guarded by the one-row-per-camera constraint), so two
nodes racing for a camera cannot both win: the database decides, never a read followed
by a write. A node renews every pass (about once a second) and stops its ffmpeg itself
when it could not renew in time (see `RelayNodeRunner`), so a camera never has two
relays even when a node is cut off from the database rather than dead.

Every expiry is written and compared on the database's clock (`Now()`, with the lease's
duration added in SQL), never a node's: a node whose clock runs ahead cannot take a lease
that is still live, and one whose clock runs behind cannot keep a lease past its expiry.
The nodes then agree with each other whatever their clocks say; only the node's own fence
(`RelayNodeRunner`) uses its clock, a monotonic one, counted from before the renewal was sent.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, ExpressionWrapper, Q
from django.db.models.functions import Now

from cameras.relay.clock import database_now_plus
from cameras.relay.models import RelayLease
from rtcc.bulk import update_each


def lease_end() -> ExpressionWrapper:
    """The moment a lease written by this statement lapses: the database's now plus the duration."""
    return database_now_plus(settings.RTCC_RELAY_LEASE_SECONDS)


def unexpired() -> Q:
    """Leases that have not lapsed by the database's clock."""
    return Q(expires_at__gt=Now())


def alive(lease_seconds: float) -> Q:
    """Relay nodes whose heartbeat is younger than one lease period, by the database's clock."""
    return Q(heartbeat_at__gte=database_now_plus(-lease_seconds))


def claim(node_id: int, camera_id: int, *, srt_port: int | None = None) -> bool:
    """Take the camera's lease for the node if it is free or lapsed (or already ours), with the
    port the node listens on for it (a pushed camera)."""
    try:
        with transaction.atomic():
            taken = claim_existing(node_id, camera_id, srt_port)
    except IntegrityError:
        # The node's own stale lease of another camera still names this port: not this time.
        return False
    if taken:
        return True
    try:
        with transaction.atomic():
            RelayLease.objects.create(
                camera_id=camera_id,
                node_id=node_id,
                acquired_at=Now(),
                expires_at=lease_end(),
                srt_port=srt_port,
            )
    except IntegrityError:
        # Another node inserted it first (or the camera was deleted).
        return False
    return True


# What a lease says of its holder's ffmpeg, reset when another node (or a new life) takes it.
NO_PROCESS_YET = {
    "status": "",
    "pid": None,
    "process_started_at": None,
    "restarts": 0,
    "fps": 0,
    "bitrate_kbps": 0,
    "last_error": "",
    "sub_srt_port": None,
}


def claim_existing(node_id: int, camera_id: int, srt_port: int | None) -> int:
    holder = {"node_id": node_id, "acquired_at": Now(), "expires_at": lease_end(), "srt_port": srt_port}
    return (
        RelayLease.objects.filter(camera_id=camera_id)
        .filter(~unexpired() | Q(node_id=node_id))
        .update(**holder, **NO_PROCESS_YET)
    )


def renew(node_id: int, camera_ids) -> set[int]:
    """Extend the node's unexpired leases on `camera_ids`; return the ids still held."""
    camera_ids = list(camera_ids)
    if not camera_ids:
        return set()
    # The WHERE repeats "ours and unexpired": a lease that lapsed and was claimed by
    # another node is left alone, and the SELECT after it tells us so.
    mine = RelayLease.objects.filter(unexpired(), node_id=node_id, camera_id__in=camera_ids)
    mine.update(expires_at=lease_end())
    return set(mine.values_list("camera_id", flat=True))


def release(node_id: int, camera_id: int) -> bool:
    """Give the camera up; only the holder can."""
    deleted, _ = RelayLease.objects.filter(node_id=node_id, camera_id=camera_id).delete()
    return bool(deleted)


def release_all(node_id: int) -> int:
    deleted, _ = RelayLease.objects.filter(node_id=node_id).delete()
    return deleted


def held_elsewhere(node_id: int) -> set[int]:
    """Cameras another node holds an unexpired lease on."""
    return set(
        RelayLease.objects.filter(unexpired()).exclude(node_id=node_id).values_list("camera_id", flat=True)
    )


def lapsed() -> set[int]:
    """Cameras whose lease ran out unrenewed (their node died or hung): to be placed again."""
    return set(RelayLease.objects.exclude(unexpired()).values_list("camera_id", flat=True))


def is_held(camera_id: int) -> bool:
    """Whether any node holds an unexpired lease on the camera."""
    return RelayLease.objects.filter(unexpired(), camera_id=camera_id).exists()


def held_per_node() -> dict[str, int]:
    """{node name: how many unexpired leases it holds}, for placing cameras by capacity."""
    rows = (
        RelayLease.objects.filter(unexpired())
        .values("node__name")
        .annotate(held=Count("pk"))
        .values_list("node__name", "held")
    )
    return dict(rows)


def record_process(node_id: int, camera_id: int, **fields) -> bool:
    """Store what the holder sees of its ffmpeg (status, pid, fps, ...) on its own lease."""
    return bool(RelayLease.objects.filter(node_id=node_id, camera_id=camera_id).update(**fields))


def record_processes(node_id: int, fields_by_camera: dict[int, dict]) -> None:
    """`record_process` for many of the holder's leases, in one prepared statement; each
    camera's fields name the same columns. Another node's lease is never written."""
    update_each(RelayLease, fields_by_camera, key="camera", where={"node": node_id})

"""Leases: which node relays which camera, claimed and renewed with conditional UPDATEs.

A lease lapses `RTCC_RELAY_LEASE_SECONDS` after its last renewal. Every write is one
`UPDATE ... WHERE` (or an INSERT guarded by the one-row-per-camera constraint), so two
nodes racing for a camera cannot both win: the database decides, never a read followed
by a write. A node renews every pass (about once a second) and stops its ffmpeg itself
when it could not renew in time (see `RelayNodeRunner`), so a camera never has two
relays even when a node is cut off from the database rather than dead.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from cameras.relay.models import RelayLease


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.RTCC_RELAY_LEASE_SECONDS)


def claim(node_id: int, camera_id: int, now=None, *, srt_port: int | None = None) -> bool:
    """Take the camera's lease for the node if it is free or lapsed (or already ours), with the
    port the node listens on for it (a pushed camera)."""
    now = now or timezone.now()
    expires = now + lease_duration()
    try:
        with transaction.atomic():
            taken = claim_existing(node_id, camera_id, now, expires, srt_port)
    except IntegrityError:
        # The node's own stale lease of another camera still names this port: not this time.
        return False
    if taken:
        return True
    try:
        with transaction.atomic():
            RelayLease.objects.create(
                camera_id=camera_id, node_id=node_id, acquired_at=now, expires_at=expires, srt_port=srt_port
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
}


def claim_existing(node_id: int, camera_id: int, now, expires, srt_port: int | None) -> int:
    holder = {"node_id": node_id, "acquired_at": now, "expires_at": expires, "srt_port": srt_port}
    return (
        RelayLease.objects.filter(camera_id=camera_id)
        .filter(Q(expires_at__lte=now) | Q(node_id=node_id))
        .update(**holder, **NO_PROCESS_YET)
    )


def renew(node_id: int, camera_ids, now=None) -> set[int]:
    """Extend the node's unexpired leases on `camera_ids`; return the ids still held."""
    camera_ids = list(camera_ids)
    if not camera_ids:
        return set()
    now = now or timezone.now()
    # The WHERE repeats "ours and unexpired": a lease that lapsed and was claimed by
    # another node is left alone, and the SELECT after it tells us so.
    mine = RelayLease.objects.filter(node_id=node_id, camera_id__in=camera_ids, expires_at__gt=now)
    mine.update(expires_at=now + lease_duration())
    return set(
        RelayLease.objects.filter(node_id=node_id, camera_id__in=camera_ids, expires_at__gt=now).values_list(
            "camera_id", flat=True
        )
    )


def release(node_id: int, camera_id: int) -> bool:
    """Give the camera up; only the holder can."""
    deleted, _ = RelayLease.objects.filter(node_id=node_id, camera_id=camera_id).delete()
    return bool(deleted)


def release_all(node_id: int) -> int:
    deleted, _ = RelayLease.objects.filter(node_id=node_id).delete()
    return deleted


def held_elsewhere(node_id: int, now=None) -> set[int]:
    """Cameras another node holds an unexpired lease on."""
    now = now or timezone.now()
    return set(
        RelayLease.objects.filter(expires_at__gt=now)
        .exclude(node_id=node_id)
        .values_list("camera_id", flat=True)
    )


def lapsed(now=None) -> set[int]:
    """Cameras whose lease ran out unrenewed (their node died or hung): to be placed again."""
    now = now or timezone.now()
    return set(RelayLease.objects.filter(expires_at__lte=now).values_list("camera_id", flat=True))


def is_held(camera_id: int, now=None) -> bool:
    """Whether any node holds an unexpired lease on the camera."""
    now = now or timezone.now()
    return RelayLease.objects.filter(camera_id=camera_id, expires_at__gt=now).exists()


def held_per_node(now=None) -> dict[str, int]:
    """{node name: how many unexpired leases it holds}, for placing cameras by capacity."""
    now = now or timezone.now()
    rows = (
        RelayLease.objects.filter(expires_at__gt=now)
        .values("node__name")
        .annotate(held=Count("pk"))
        .values_list("node__name", "held")
    )
    return dict(rows)


def record_process(node_id: int, camera_id: int, **fields) -> bool:
    """Store what the holder sees of its ffmpeg (status, pid, fps, ...) on its own lease."""
    return bool(RelayLease.objects.filter(node_id=node_id, camera_id=camera_id).update(**fields))

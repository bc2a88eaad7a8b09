"""The camera's relay status as the wall sees it: stored on the camera, sent to its agency."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cameras.events import send_to_agency


def status_event(camera) -> dict:
    return {
        "type": "camera.status",
        "camera_id": camera.pk,
        "status": camera.status,
        "status_reason": camera.status_reason,
        "last_frame_at": camera.last_frame_at.isoformat() if camera.last_frame_at else None,
        "snapshot_version": camera.snapshot_version,
    }


@transaction.atomic
def do_set_camera_status(camera_id: int, status: str, reason: str = "") -> bool:
    """Store a new status and tell the agency's walls after commit; False when nothing changed."""
    from cameras.models import Camera

    reason = reason[:300]
    # Conditional: a repeated status writes nothing and sends nothing, and the status is
    # never read first, so two writers cannot both announce a change.
    changed = (
        Camera.objects.filter(pk=camera_id)
        .exclude(Q(status=status) & Q(status_reason=reason))
        .update(status=status, status_reason=reason, status_changed_at=timezone.now())
    )
    if not changed:
        return False
    camera = Camera.objects.filter(pk=camera_id).first()
    if camera is not None:
        send_to_agency(camera.agency_id, status_event(camera))
    return True


@transaction.atomic
def do_record_frames(camera_id: int, last_frame_at, *, snapshot_taken: bool) -> int | None:
    """Store the newest frame time and, for a new snapshot, bump its version and tell the walls."""
    from cameras.models import Camera

    fields = {"last_frame_at": last_frame_at}
    if snapshot_taken:
        fields["snapshot_version"] = F("snapshot_version") + 1
    if not Camera.objects.filter(pk=camera_id).update(**fields):
        return None
    if not snapshot_taken:
        return None
    camera = Camera.objects.filter(pk=camera_id).values("agency_id", "snapshot_version").first()
    send_to_agency(
        camera["agency_id"],
        {"type": "camera.snapshot", "camera_id": camera_id, "snapshot_version": camera["snapshot_version"]},
    )
    return camera["snapshot_version"]

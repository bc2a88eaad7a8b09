"""Evidence holds: a case keeps a camera's recordings of a window out of the retention job's reach.

Placing and releasing are audit lines (action `evidence_hold`); the retention job
(`cameras.retention`) skips every segment a hold in force overlaps, and a deletion order
(`cameras.footage.deletion_orders`) keeps them too, naming the hold in its certificate.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.access import agency_of, has_role
from agencies.models import AccessEvent, Membership
from agencies.services import do_record_access
from cameras.footage.clips import Segment
from cameras.footage.models import EvidenceHold
from cameras.models import Camera
from rtcc.validators import required_case_and_reason

# Who places and releases holds: those who answer for an agency's evidence.
HOLD_ROLES = (Membership.Role.ADMIN, Membership.Role.SUPERVISOR)


def check_may_hold(actor, camera: Camera) -> None:
    if getattr(actor, "is_superuser", False):
        return
    agency = agency_of(actor)
    if agency is None or agency.pk != camera.agency_id or not has_role(actor, *HOLD_ROLES):
        raise PermissionDenied(
            "Only an admin or supervisor of the camera's agency places or releases a hold."
        )


def check_hold_input(start, end, case_number: str, reason: str) -> tuple[str, str]:
    errors = {}
    if start is None or end is None or end <= start:
        errors["end"] = "The window ends after it starts."
    elif start > timezone.now():
        errors["start"] = "A hold keeps recordings already made: start it in the past."
    case_number, reason = required_case_and_reason(
        errors, case_number, reason, missing_reason="Say why the recordings must be kept."
    )
    if errors:
        raise ValidationError(errors)
    return case_number, reason


@transaction.atomic
def do_place_evidence_hold(
    actor, camera: Camera, *, start, end, case_number: str, reason: str, request=None
) -> EvidenceHold:
    check_may_hold(actor, camera)
    case_number, reason = check_hold_input(start, end, case_number, reason)
    hold = EvidenceHold.objects.create(
        agency_id=camera.agency_id,
        camera=camera,
        start=start,
        end=end,
        case_number=case_number,
        reason=reason,
        placed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    do_record_access(
        actor,
        AccessEvent.Action.EVIDENCE_HOLD,
        camera,
        agency=camera.agency,
        purpose=reason,
        case_number=case_number,
        request=request,
        detail={"change": "placed", "hold": hold.pk, "start": start.isoformat(), "end": end.isoformat()},
    )
    return hold


@transaction.atomic
def do_release_evidence_hold(actor, hold: EvidenceHold, *, reason: str, request=None) -> bool:
    """Release a hold; its recordings fall under retention again. False when it was released already."""
    check_may_hold(actor, hold.camera)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"release_reason": "Say why the hold ends (for example: case closed)."})
    now = timezone.now()
    # A conditional update: two releases at once end it once, with one audit line.
    released = EvidenceHold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=now,
        released_by=actor if getattr(actor, "is_authenticated", False) else None,
        release_reason=reason[:500],
    )
    if not released:
        return False
    hold.refresh_from_db()
    do_record_access(
        actor,
        AccessEvent.Action.EVIDENCE_HOLD,
        hold.camera,
        agency=hold.agency,
        purpose=reason[:300],
        case_number=hold.case_number,
        request=request,
        detail={"change": "released", "hold": hold.pk},
    )
    return True


def holds_in_force(camera_ids) -> dict[int, list[EvidenceHold]]:
    """{camera id: its holds in force}, in one query."""
    holds: dict[int, list[EvidenceHold]] = {}
    for hold in EvidenceHold.objects.in_force().filter(camera_id__in=camera_ids):
        holds.setdefault(hold.camera_id, []).append(hold)
    return holds


def hold_on(segment: Segment, holds) -> EvidenceHold | None:
    """The first hold in force that keeps `segment`, if any."""
    return next((hold for hold in holds if hold.covers(segment.start, segment.end)), None)

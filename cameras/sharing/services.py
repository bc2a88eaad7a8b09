"""Giving, revoking and ending shares between agencies: each a service call with an audit line.

A share widens access, so it is audited in the giving agency's chain (action
`access_change`, `detail.change` `share_given`, `share_revoked` or `share_expired`) and its
end is carried out at once: stored media decisions are voided on commit, the receiving
agency's viewing sessions on those cameras end, and its walls drop the cameras.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.access import agency_of, has_role
from agencies.models import AccessEvent, Agency, Membership
from agencies.services import do_record_access
from cameras.events import send_to_agency
from cameras.media.authorization_cache import agency_scope, bump_on_commit, camera_scope
from cameras.models import Camera
from cameras.services import cameras_access_changed
from cameras.sharing.fanout import forget
from cameras.sharing.models import CameraShare
from rtcc.validators import required_text

# A share is renewed, visibly, rather than given for ever.
MAX_SHARE_DAYS = 90
MAX_SHARED_CAMERAS = 500


def check_may_share(actor, from_agency: Agency) -> None:
    if getattr(actor, "is_superuser", False):
        return
    agency = agency_of(actor)
    if agency is None or agency.pk != from_agency.pk or not has_role(actor, Membership.Role.ADMIN):
        raise PermissionDenied("Only an admin of the agency whose cameras they are shares or revokes them.")


def check_share_input(from_agency: Agency, to_agency, camera_ids, **given) -> dict:
    """The share's cleaned fields (the cameras included), or ValidationError naming each field that does not hold.

    `given`: starts_at, ends_at, purpose, authority, live, recorded.
    """
    errors = {}
    now = timezone.now()
    fields = {
        "to_agency": to_agency,
        # A share begins no earlier than it is given: a backdated window would misstate the record.
        "starts_at": max(given.get("starts_at") or now, now),
        "ends_at": given.get("ends_at"),
        "purpose": required_text(
            errors, "purpose", given.get("purpose"), limit=300, missing="Say what the share is for."
        ),
        "authority": required_text(
            errors,
            "authority",
            given.get("authority"),
            limit=200,
            missing="Name what the share rests on (an agreement, a memorandum, an order).",
        ),
        "live": bool(given.get("live")),
        "recorded": bool(given.get("recorded")),
    }
    if to_agency is None:
        errors["to_agency"] = "Name the agency you share with."
    elif to_agency.pk == from_agency.pk:
        errors["to_agency"] = "An agency already sees its own cameras."
    elif to_agency.is_suspended:
        errors["to_agency"] = f"{to_agency.name} is suspended; it cannot receive a share."
    window = check_window(fields["starts_at"], fields["ends_at"], now)
    if window:
        errors["ends_at"] = window
    if not (fields["live"] or fields["recorded"]):
        errors["live"] = "Share live video, recorded video, or both."
    fields["cameras"] = own_cameras(errors, from_agency, camera_ids)
    if errors:
        raise ValidationError(errors)
    return fields


def check_window(starts_at, ends_at, now) -> str:
    if ends_at is None or ends_at <= starts_at:
        return "The share ends after it starts."
    if ends_at <= now:
        return "The share would already have ended."
    if ends_at - starts_at > timedelta(days=MAX_SHARE_DAYS):
        return f"A share lasts at most {MAX_SHARE_DAYS} days; give a new one to go on."
    return ""


def own_cameras(errors: dict, from_agency: Agency, camera_ids) -> list[Camera]:
    """The agency's own cameras among `camera_ids`; a message under `cameras` for any other."""
    camera_ids = list(dict.fromkeys(camera_ids or []))
    if not camera_ids:
        errors["cameras"] = "Name at least one camera."
        return []
    if len(camera_ids) > MAX_SHARED_CAMERAS:
        errors["cameras"] = f"Share at most {MAX_SHARED_CAMERAS} cameras at once."
        return []
    cameras = list(
        Camera.objects.filter(pk__in=camera_ids, agency=from_agency, kind=Camera.Kind.PUBLIC).order_by("pk")
    )
    missing = sorted(set(camera_ids) - {camera.pk for camera in cameras})
    if missing:
        # A resident shared with one agency: only the owner could widen that, and the portal offers no such thing.
        errors["cameras"] = (
            f"Camera {', '.join(map(str, missing))} is not one of {from_agency.name}'s own cameras; "
            "residents' cameras are never shared on."
        )
    return cameras


@transaction.atomic
def do_share_cameras(
    actor, from_agency: Agency, to_agency: Agency, camera_ids, *, request=None, **given
) -> CameraShare:
    """Share some of `from_agency`'s cameras with `to_agency` for a window, a purpose and a scope.

    `given`: ends_at, purpose, authority (required); starts_at (default now), live (default
    true unless `recorded` alone is asked), recorded.
    """
    check_may_share(actor, from_agency)
    # Read under a lock: a suspension committing meanwhile is seen, or waits for this share.
    from_agency = Agency.objects.select_for_update().get(pk=from_agency.pk)
    if from_agency.is_suspended:  # revoking stays open to it: that only narrows access
        raise PermissionDenied(from_agency.suspension_refusal())
    given.setdefault("live", not given.get("recorded"))
    fields = check_share_input(from_agency, to_agency, camera_ids, **given)
    cameras = fields.pop("cameras")
    share = CameraShare.objects.create(
        from_agency=from_agency,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **fields,
    )
    share.cameras.set(cameras)
    _audit_and_announce(
        actor, share, "share_given", request, share.purpose, [camera.pk for camera in cameras]
    )
    return share


@transaction.atomic
def do_revoke_share(actor, share: CameraShare, *, reason: str, request=None) -> bool:
    """End a share now: the other agency's viewing on its cameras ends and media is refused from the commit on.

    False when the share had already ended (revoked before, or expired).
    """
    check_may_share(actor, share.from_agency)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"revoke_reason": "Say why the share ends."})
    now = timezone.now()
    # A conditional update: two revocations at once end it once, with one audit line.
    revoked = CameraShare.objects.filter(pk=share.pk, revoked_at__isnull=True, ends_at__gt=now).update(
        revoked_at=now,
        revoked_by=actor if getattr(actor, "is_authenticated", False) else None,
        revoke_reason=reason[:300],
        closed_at=now,
    )
    if not revoked:
        return False
    share.refresh_from_db()
    _audit_and_announce(actor, share, "share_revoked", request, reason)
    return True


def do_close_lapsed_shares(now=None) -> int:
    """Carry out the end of every share whose window ran out: run by the beat; idempotent.

    Media refuses an expired share's cameras on its own (the rule reads the window, and a
    stored decision does not outlive `ends_at`); this ends the viewing and tells the walls.
    """
    now = now or timezone.now()
    closed = 0
    for share in CameraShare.objects.filter(closed_at__isnull=True, ends_at__lte=now).select_related(
        "from_agency", "to_agency"
    ):
        with transaction.atomic():
            if not CameraShare.objects.filter(pk=share.pk, closed_at__isnull=True).update(closed_at=now):
                continue  # another sweep took it
            _audit_and_announce(None, share, "share_expired", None, share.purpose)
            closed += 1
    return closed


def _audit_and_announce(
    actor, share: CameraShare, change: str, request, purpose: str, camera_ids=None
) -> None:
    """The audit line of a share given or ended, then its announcement to media, nodes and walls."""
    if camera_ids is None:
        camera_ids = list(share.cameras.values_list("pk", flat=True))
    do_record_access(
        actor,
        AccessEvent.Action.ACCESS_CHANGE,
        share,
        agency=share.from_agency,  # the giving agency's chain: its cameras, its decision
        purpose=purpose[:300],
        request=request,
        detail={
            "change": change,
            "share": share.pk,
            "to_agency": share.to_agency.slug,
            "cameras": sorted(camera_ids),
            "starts_at": share.starts_at.isoformat(),
            "ends_at": share.ends_at.isoformat(),
            "scope": share.scope,
            "authority": share.authority,
        },
    )
    _announce(share, camera_ids, ended=change != "share_given")


def _announce(share: CameraShare, camera_ids: list[int], *, ended: bool) -> None:
    """Void stored media decisions and, after commit, end lapsed viewing and make the walls re-read the cameras."""
    bump_on_commit(agency_scope(share.to_agency_id), *(camera_scope(pk) for pk in camera_ids))
    transaction.on_commit(forget)
    if ended:
        # The walls' message below reaches only agencies the cameras are still shared with.
        send_to_agency(share.to_agency_id, {"type": "camera.consent", "camera_ids": list(camera_ids)})
    transaction.on_commit(lambda: cameras_access_changed.send(sender=CameraShare, camera_ids=camera_ids))

"""Side effects of the cameras domain."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_group_perms, get_user_perms, remove_perm

from agencies.access import agency_of
from agencies.models import AccessEvent
from agencies.services import do_record_access
from cameras.consent import check_live_possible, is_agency_camera
from cameras.models import Camera, Consent, PrivacyMask, validate_schedule
from cameras.premises import PremisesRule, premises_refusal
from cameras.sources import check_pull_url

# Sent after a consent change commits, with camera_id and consent: the relay fleet
# listens to stop a relay at once instead of at its next reconcile pass.
consent_changed = Signal()
# Sent after commit with camera_ids when something other than their owners' consent changed
# what may be seen of them (an agency's premises rule): the same listeners act on all at once.
cameras_access_changed = Signal()


@transaction.atomic
def do_create_pull_camera(
    actor,
    *,
    name,
    lat,
    lon,
    source_url,
    description="",
    address="",
    relay_mode=Camera.RelayMode.CONTINUOUS,
    request=None,
) -> Camera:
    """Add an agency-owned camera the hub pulls; the URL is checked again here, not only in forms."""
    agency = agency_of(actor)
    if agency is None:
        raise PermissionDenied("Only a member of an agency can add its cameras.")
    camera = Camera.objects.create(
        kind=Camera.Kind.PUBLIC,
        agency=agency,
        relay_mode=relay_mode,
        source=Camera.Source.PULL,
        source_url=check_pull_url(source_url),
        name=name,
        description=description,
        premises=Camera.Premises.PUBLIC_SPACE,
        address=address,
        lat=lat,
        lon=lon,
    )
    do_record_access(
        actor, AccessEvent.Action.CAMERA_CHANGE, camera, request=request, detail={"change": "created"}
    )
    return camera


def check_owner(user, camera: Camera) -> None:
    """Only a private camera's owner decides about it: what it shares, its masks, its deletion."""
    if is_agency_camera(camera) or camera.owner_id is None or camera.owner_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the camera's owner can do this.")


def check_premises_accept(camera: Camera, level: str) -> None:
    refusal = premises_refusal(camera, level)
    if refusal:
        raise ValidationError({"level": refusal})


def check_consent_input(level: str, schedule, expires_at, incident_radius_m) -> None:
    """Raise ValidationError, naming the field, for consent that cannot be recorded."""
    errors = {}
    if level not in Consent.Level.values:
        errors["level"] = f"Choose one of: {', '.join(Consent.Level.values)}."
    try:
        validate_schedule(schedule or [])
    except ValidationError as error:
        errors["schedule"] = error.messages
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "The expiry must be in the future."
    if incident_radius_m is not None and not (10 <= incident_radius_m <= 10_000):
        errors["incident_radius_m"] = "The incident radius is 10 to 10,000 metres."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def do_set_consent(
    actor,
    camera: Camera,
    level: str,
    *,
    schedule=None,
    expires_at=None,
    incident_radius_m=None,
    relay_mode=None,
    note="",
    request=None,
) -> Consent:
    """Record the owner's new consent; it is in force from its commit on, and listeners learn of it then.

    Every precondition lives here, so no caller (portal page, API, admin) can be weaker:
    only the owner decides, only for a private camera, live only through an edge device, and
    never more than the agency's premises rule accepts from the camera's premises.
    `relay_mode` (None: unchanged) is part of the owner's decision: video only while the
    agency watches, or continuously (and recorded at the hub).
    """
    check_owner(actor, camera)
    check_consent_input(level, schedule, expires_at, incident_radius_m)
    check_live_possible(camera, level)
    check_premises_accept(camera, level)
    if relay_mode is not None:
        if relay_mode not in Camera.RelayMode.values:
            raise ValidationError({"relay_mode": f"Choose one of: {', '.join(Camera.RelayMode.values)}."})
        Camera.objects.filter(pk=camera.pk).update(relay_mode=relay_mode)
        camera.relay_mode = relay_mode
    return record_consent(
        actor,
        camera,
        level,
        schedule=schedule,
        expires_at=expires_at,
        incident_radius_m=incident_radius_m,
        note=note,
        request=request,
    )


def record_consent(
    actor, camera: Camera, level: str, *, schedule, expires_at, incident_radius_m, note, request
) -> Consent:
    """Append a checked consent row, its audit line, and tell listeners on commit. Callers check first."""
    # Lock the camera row: two changes at once must be ordered, and the newest must win.
    Camera.objects.select_for_update().filter(pk=camera.pk).first()
    consent = Consent.objects.create(
        camera=camera,
        level=level,
        schedule=schedule or [],
        expires_at=expires_at,
        incident_radius_m=incident_radius_m,
        set_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
    )
    do_record_access(
        actor,
        AccessEvent.Action.CONSENT_CHANGE,
        camera,
        agency=camera.agency,
        request=request,
        detail={
            "level": level,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "schedule": schedule or [],
            "relay_mode": camera.relay_mode,
        },
    )
    transaction.on_commit(lambda: consent_changed.send(sender=Consent, camera_id=camera.pk, consent=consent))
    return consent


def replace_masks(actor, camera: Camera, rectangles) -> list[PrivacyMask]:
    """Put `rectangles` (checked) in place of the camera's masks; relays apply them from their next start."""
    camera.privacy_masks.all().delete()
    return [
        PrivacyMask.objects.create(camera=camera, created_by=actor, **rectangle) for rectangle in rectangles
    ]


def do_revoke_consent(actor, camera: Camera, *, request=None) -> Consent:
    """One-click revocation: nothing is shared from the commit on."""
    return do_set_consent(actor, camera, Consent.Level.NONE, note="revoked", request=request)


# The admin -------------------------------------------------------------------------------

# What only a resident camera's owner decides, directly or through the consent rule: whether
# it is private and whose it is, the agency it is shared with, where it stands and its time
# zone (incident radius and schedule are measured from them), how its video reaches the hub,
# and whether it is sent continuously or only while watched.
OWNER_FIELDS = (
    "kind",
    "owner",
    "agency",
    "premises",
    "lat",
    "lon",
    "time_zone",
    "source",
    "source_url",
    "device",
    "relay_mode",
)
# Of an agency camera, staff change everything but whether it is an agency camera at all.
AGENCY_CAMERA_FIXED_FIELDS = ("kind", "owner")


def is_resident_camera(camera: Camera) -> bool:
    """A resident's camera, owned or not: its owner's decisions are never the agency's."""
    return not is_agency_camera(camera)


def changed_fields(before: Camera | None, after: Camera, names) -> list[str]:
    if before is None:
        return []
    fields = [Camera._meta.get_field(name) for name in names]
    return [f.name for f in fields if f.value_from_object(before) != f.value_from_object(after)]


def owner_decisions_changed(camera: Camera) -> list[str]:
    """Which of the owner's decisions `camera` (edited, unsaved) changes against its stored row."""
    before = Camera.objects.filter(pk=camera.pk).first() if camera.pk else None
    if before is None:
        return ["kind", "owner"] if is_resident_camera(camera) or camera.owner_id else []
    names = (
        OWNER_FIELDS
        if is_resident_camera(before) or is_resident_camera(camera)
        else AGENCY_CAMERA_FIXED_FIELDS
    )
    return changed_fields(before, camera, names)


@transaction.atomic
def do_save_camera(actor, camera: Camera, *, created: bool, fields=(), request=None) -> Camera:
    """Save a camera edited in the admin: agency cameras only, and never an owner's decision.

    The admin makes those fields read-only; this refuses them again whatever the POST carried.
    A superuser changes them through `do_override_camera_as_platform`, never here.
    """
    refused = owner_decisions_changed(camera)
    if refused:
        raise PermissionDenied(f"Only the camera's owner decides this ({', '.join(refused)}).")
    if camera.device_id is not None and camera.device.owner_id not in (None, camera.owner_id):
        raise PermissionDenied("That device is a resident's: only their own cameras stream through it.")
    camera.save()
    do_record_access(
        actor,
        AccessEvent.Action.CAMERA_CHANGE,
        camera,
        agency=camera.agency,
        request=request,
        detail={"change": "created" if created else "changed", "fields": sorted(fields)},
    )
    # The walls re-read it: a new camera joins the maps that show its place, a moved one moves.
    transaction.on_commit(lambda: cameras_access_changed.send(sender=Camera, camera_ids=[camera.pk]))
    return camera


@transaction.atomic
def do_delete_agency_camera(actor, camera: Camera, *, request=None) -> None:
    """Delete an agency camera; a resident's camera is deleted by its owner, in the portal."""
    if is_resident_camera(camera):
        raise PermissionDenied("A resident's camera is deleted by its owner, in the portal.")
    do_record_access(
        actor, AccessEvent.Action.DELETION, camera, request=request, detail={"deleted": "camera"}
    )
    camera.delete()


@transaction.atomic
def do_override_camera_as_platform(
    actor,
    camera: Camera,
    *,
    reason: str,
    fields=(),
    consent_level: str | None = None,
    masks: list[dict] | None = None,
    request=None,
) -> Camera:
    """A superuser changes what is normally the owner's: kind, owner, consent or masks.

    The one way to do it: the change, its reason and the values before and after go into
    the audit trail, and the owners before and after are told by mail.
    """
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only the platform's superusers override an owner's decision.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"override_reason": "Say why the owner's decision is overridden."})
    if consent_level:
        check_consent_input(consent_level, None, None, None)
        check_live_possible(camera, consent_level)
        check_premises_accept(camera, consent_level)
    before = Camera.objects.select_for_update().filter(pk=camera.pk).first() if camera.pk else None
    changed = changed_fields(before, camera, OWNER_FIELDS)
    camera.save()
    if consent_level:
        record_consent(
            actor,
            camera,
            consent_level,
            schedule=None,
            expires_at=None,
            incident_radius_m=None,
            note=f"Platform override: {reason}"[:300],
            request=request,
        )
    if masks is not None:
        replace_masks(actor, camera, masks)
    detail = {
        # A stream URL may carry credentials: say that it changed, never what it was.
        "fields": {
            name: "changed"
            if name == "source_url"
            else [str(getattr(before, name)), str(getattr(camera, name))]
            for name in changed
        },
        "created": before is None,
        "consent_level": consent_level or None,
        "masks": None if masks is None else len(masks),
    }
    do_record_access(
        actor,
        AccessEvent.Action.PLATFORM_OVERRIDE,
        camera,
        purpose=reason,
        request=request,
        agency=camera.agency,  # the camera's chain, whatever agency the platform admin is in
        detail=detail,
    )
    owners = {
        user for user in (getattr(before, "owner", None), camera.owner) if user is not None and user.email
    }
    summary = override_summary(camera, detail, reason)
    transaction.on_commit(lambda: notify_owners(owners, camera, summary))
    return camera


def override_summary(camera: Camera, detail: dict, reason: str) -> str:
    lines = [f'The platform\'s administrators changed your camera "{camera.name}" (number {camera.pk}).']
    for name, values in detail["fields"].items():
        lines.append(f"- {name}: " + (values if isinstance(values, str) else f"{values[0]} -> {values[1]}"))
    if detail["consent_level"]:
        lines.append(f"- sharing: {detail['consent_level']}")
    if detail["masks"] is not None:
        lines.append(f"- privacy masks: now {detail['masks']}")
    lines += ["", f"Reason given: {reason}", "", "Every change is in your camera's access receipts."]
    return "\n".join(lines)


def notify_owners(owners, camera: Camera, summary: str) -> None:
    # The change stands whether or not a mail server answers; the audit line is the record.
    for owner in owners:
        send_mail(f"Your camera {camera.name} was changed", summary, None, [owner.email], fail_silently=True)


@transaction.atomic
def do_set_camera_grants(actor, camera: Camera, grantee, perms, *, request=None) -> None:
    """Set a user's or group's per-camera permissions (mutual aid): the grants that widen who sees it.

    An agency admin grants only their agency's own cameras, and only to named users; a
    resident's camera was shared with one agency by its owner, and a group may span agencies.
    """
    perms = set(perms)
    if not actor.is_superuser:
        agency = agency_of(actor)
        if is_resident_camera(camera) or not isinstance(grantee, get_user_model()):
            raise PermissionDenied("Grants on a resident's camera or to a group are the platform's.")
        if agency is None or camera.agency_id != agency.pk:
            raise PermissionDenied("You grant only your own agency's cameras.")
    is_user = isinstance(grantee, get_user_model())
    current = set(get_user_perms(grantee, camera) if is_user else get_group_perms(grantee, camera))
    for perm in current - perms:
        remove_perm(perm, grantee, camera)
    for perm in perms - current:
        assign_perm(perm, grantee, camera)
    do_record_access(
        actor,
        AccessEvent.Action.ACCESS_CHANGE,
        camera,
        agency=camera.agency,
        request=request,
        detail={
            "change": "camera_grant",
            "grantee": f"{'user' if is_user else 'group'}:{grantee}",
            "granted": sorted(perms - current),
            "removed": sorted(current - perms),
        },
    )


# Premises rules ----------------------------------------------------------------------------


def check_rule_in_reach(actor, rule: PremisesRule) -> None:
    if actor.is_superuser:
        return
    agency = agency_of(actor)
    stored = PremisesRule.objects.filter(pk=rule.pk).values_list("agency_id", flat=True).first()
    if agency is None or rule.agency_id != agency.pk or stored not in (None, agency.pk):
        raise PermissionDenied("You set only your own agency's premises rules.")


def announce_rule_change(agency_id: int, premises: str) -> None:
    """Once committed, relays, viewing and walls re-check every resident camera of those premises."""
    camera_ids = list(
        Camera.objects.filter(agency_id=agency_id, premises=premises)
        .exclude(kind=Camera.Kind.PUBLIC)
        .values_list("pk", flat=True)
    )
    if camera_ids:
        transaction.on_commit(lambda: cameras_access_changed.send(sender=PremisesRule, camera_ids=camera_ids))


def record_rule_change(actor, rule: PremisesRule, change: str, request, **detail) -> None:
    do_record_access(
        actor,
        AccessEvent.Action.RECORD_CHANGE,
        rule,
        agency=rule.agency,
        request=request,
        detail={"change": change, "model": "cameras.premisesrule", **detail},
    )


@transaction.atomic
def do_save_premises_rule(
    actor, rule: PremisesRule, *, created: bool, fields=(), request=None
) -> PremisesRule:
    """Save an agency's premises rule, audited; cameras it now forbids stop at once."""
    check_rule_in_reach(actor, rule)
    before = PremisesRule.objects.filter(pk=rule.pk).values("premises", "highest_level").first()
    rule.updated_at = timezone.now()
    rule.save()
    record_rule_change(
        actor,
        rule,
        "created" if created else "changed",
        request,
        fields=sorted(fields),
        before=before,
        after={"premises": rule.premises, "highest_level": rule.highest_level},
    )
    announce_rule_change(rule.agency_id, rule.premises)
    if before and before["premises"] != rule.premises:
        announce_rule_change(rule.agency_id, before["premises"])
    return rule


@transaction.atomic
def do_delete_premises_rule(actor, rule: PremisesRule, *, request=None) -> None:
    check_rule_in_reach(actor, rule)
    # A record change, not a `deletion` line: those count deleted footage in the annual report.
    record_rule_change(
        actor, rule, "deleted", request, premises=rule.premises, highest_level=rule.highest_level
    )
    announce_rule_change(rule.agency_id, rule.premises)
    rule.delete()

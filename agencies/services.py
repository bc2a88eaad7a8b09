"""Side effects of the agencies domain: the audit trail and its annotations, memberships and the agency-admin role."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from agencies.access import agency_of, membership_of
from agencies.incidents import do_close_incident, do_open_incident, incident_worked
from agencies.models import AccessEvent, Agency, Incident, Membership
from agencies.roles import agency_admin_group
from rtcc.client import client_address


def client_ip(request) -> str | None:
    # X-Forwarded-For counts only as far as RTCC_TRUSTED_PROXIES reach: a client cannot forge the audit.
    return client_address(request) if request is not None else None


def do_record_access(
    actor,
    action: str,
    target: models.Model | None = None,
    *,
    agency: Agency | None = None,
    purpose: str = "",
    incident: Incident | None = None,
    case_number: str = "",
    request=None,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    detail: dict | None = None,
) -> AccessEvent:
    """Append one line to the audit trail."""
    actor_ok = actor is not None and getattr(actor, "is_authenticated", False)
    if agency is None:
        agency = agency_of(actor) if actor_ok else None
        if agency is None and target is not None:
            agency = getattr(target, "agency", None)
    return AccessEvent.objects.create(
        actor=actor if actor_ok else None,
        actor_name=actor.get_username() if actor_ok else "",
        agency=agency,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        purpose=purpose[:300],
        incident=incident,
        case_number=case_number[:64],
        source_ip=client_ip(request),
        outcome=outcome,
        detail=detail or {},
    )


# Admin saves ---------------------------------------------------------------------------
# Every save, delete and action the admin makes on an audited model comes through here (or
# through a service of the model's own app that records as these do), so that no admin form,
# inline or bulk action changes a row without a line in the audit trail.


def _model_label(obj: models.Model) -> str:
    return obj._meta.label_lower


@transaction.atomic
def do_save_record(actor, obj: models.Model, *, created: bool, fields=(), request=None, detail=None):
    """Save a row edited in the admin and record who changed which fields."""
    obj.save()
    do_record_access(
        actor,
        AccessEvent.Action.RECORD_CHANGE,
        obj,
        request=request,
        detail={
            "change": "created" if created else "changed",
            "model": _model_label(obj),
            "fields": sorted(fields),
            **(detail or {}),
        },
    )
    return obj


@transaction.atomic
def do_delete_record(actor, obj: models.Model, *, request=None, action=AccessEvent.Action.DELETION) -> None:
    """Delete a row from the admin; the audit line is written first, while the row still names itself."""
    do_record_access(actor, action, obj, request=request, detail={"deleted": _model_label(obj)})
    obj.delete()


# Memberships and the agency-admin role -------------------------------------------------


def check_user_in_reach(actor, user) -> None:
    """An agency admin acts only on the users of their own agency, never on a superuser."""
    if actor.is_superuser:
        return
    agency = agency_of(actor)
    if agency is None or user.is_superuser or agency_of_user(user) != agency:
        raise PermissionDenied("You manage only the users of your own agency.")


def agency_of_user(user) -> Agency | None:
    # Fresh from the database: the cached membership of `agency_of` may predate this request's change.
    membership = Membership.objects.select_related("agency").filter(user_id=user.pk).first()
    return membership.agency if membership else None


def check_membership_change(actor, membership: Membership, *, new_user: bool = False) -> None:
    """A membership an agency admin saves is in their agency, for a user of it (or one they just made)."""
    if actor.is_superuser:
        return
    agency = agency_of(actor)
    if agency is None or membership.agency_id != agency.pk:
        raise PermissionDenied("You manage only the memberships of your own agency.")
    if membership.pk is not None:
        before = Membership.objects.filter(pk=membership.pk).values_list("agency_id", flat=True).first()
        if before != agency.pk:
            raise PermissionDenied("You manage only the memberships of your own agency.")
    member = membership.user
    # A resident or another agency's user is not theirs to enrol; a user they create with it is.
    if member.is_superuser or agency_of_user(member) not in ((None, agency) if new_user else (agency,)):
        raise PermissionDenied("You manage only the users of your own agency.")


def do_sync_admin_access(user) -> bool:
    """Give `user` the admin rights their role gives, and take them away when it no longer does.

    An agency admin is staff and in the role's group; anyone else loses both. A superuser's
    flags are the platform's and are left alone. Returns whether the user is an agency admin.
    """
    membership = Membership.objects.filter(user_id=user.pk).first()
    is_admin = membership is not None and membership.role == Membership.Role.ADMIN
    group = agency_admin_group()
    if is_admin:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    if not user.is_superuser and user.is_staff != is_admin:
        type(user).objects.filter(pk=user.pk).update(is_staff=is_admin)
        user.is_staff = is_admin
    # The cached membership of this user object is stale now.
    user.__dict__.pop("_rtcc_membership", None)
    return is_admin


@transaction.atomic
def do_save_membership(
    actor, membership: Membership, *, created: bool, fields=(), new_user: bool = False, request=None
):
    """Save a membership from the admin: in the actor's agency only, with the role's rights, audited."""
    check_membership_change(actor, membership, new_user=new_user)
    membership.save()
    is_admin = do_sync_admin_access(membership.user)
    do_record_access(
        actor,
        AccessEvent.Action.ACCESS_CHANGE,
        membership.user,
        agency=membership.agency,
        request=request,
        detail={
            "change": "membership_created" if created else "membership_changed",
            "role": membership.role,
            "fields": sorted(fields),
            "agency_admin": is_admin,
        },
    )
    return membership


@transaction.atomic
def do_remove_membership(actor, membership: Membership, *, request=None) -> None:
    """End a membership: the user leaves the agency and loses the role's admin rights with it."""
    check_membership_change(actor, membership)
    user, agency, role = membership.user, membership.agency, membership.role
    membership.delete()
    do_sync_admin_access(user)
    detail = {"change": "membership_removed", "role": role}
    do_record_access(
        actor, AccessEvent.Action.ACCESS_CHANGE, user, agency=agency, request=request, detail=detail
    )


# Fields of a user only the platform sets: staff follows the role, the rest is for superusers.
PLATFORM_USER_FIELDS = {"is_staff", "is_superuser", "groups", "user_permissions"}


@transaction.atomic
def do_save_user(actor, user, *, created: bool, fields=(), request=None):
    """Save a user from the admin; an agency admin cannot grant staff, superuser, groups or permissions."""
    if not actor.is_superuser:
        if not created:
            check_user_in_reach(actor, user)
        stored = type(user).objects.filter(pk=user.pk).values("is_staff", "is_superuser").first()
        flags = stored or {"is_staff": False, "is_superuser": False}
        if PLATFORM_USER_FIELDS & set(fields) or flags != {
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
        }:
            raise PermissionDenied("Staff, superuser, groups and permissions are not yours to grant.")
    user.save()
    record_user_change(
        actor, user, request, change="user_created" if created else "user_changed", fields=sorted(fields)
    )
    return user


def do_record_password_set(actor, user, *, request=None) -> None:
    """A password set for someone else in the admin is an access change like any other."""
    check_user_in_reach(actor, user)
    record_user_change(actor, user, request, change="password_set")


def record_user_change(actor, user, request, **detail) -> None:
    do_record_access(
        actor,
        AccessEvent.Action.ACCESS_CHANGE,
        user,
        agency=agency_of_user(user) or agency_of(actor),
        request=request,
        detail=detail,
    )


# Incidents opened and closed in the admin: the same services as CAD's, with an audit line.


@transaction.atomic
def do_admin_open_incident(actor, agency: Agency, *, request=None, **fields) -> Incident:
    incident, created = do_open_incident(actor, agency, **fields)
    record_incident_change(actor, incident, request, "created" if created else "unchanged")
    return incident


@transaction.atomic
def do_admin_close_incident(actor, incident: Incident, *, request=None) -> bool:
    closed = do_close_incident(actor, incident, request=request)
    if closed:
        record_incident_change(actor, incident, request, "closed")
    return closed


# Incidents worked on the wall: acknowledged (the alert stops) or dismissed (off the walls).
WORK_FIELDS = {
    "acknowledged": ("acknowledged_at", "acknowledged_by"),
    "dismissed": ("dismissed_at", "dismissed_by"),
}


def check_may_work_incident(actor, incident: Incident) -> None:
    """Members of the incident's agency who watch video work its incidents; PermissionDenied for others."""
    membership = membership_of(actor)
    if membership is None or membership.agency_id != incident.agency_id or not membership.watches_video:
        raise PermissionDenied("Only the agency's members who watch video work its incidents.")


@transaction.atomic
def do_work_incident(actor, incident: Incident, change: str, *, request=None) -> bool:
    """Acknowledge or dismiss an open incident once; True when this call did it (then audited).

    A conditional UPDATE decides between two dispatchers who click at once: the first one
    is recorded, the second gets the incident as the first left it.
    """
    check_may_work_incident(actor, incident)
    at_field, by_field = WORK_FIELDS[change]
    if incident.closed_at is not None:
        raise ValidationError("This incident is closed.")
    now = timezone.now()
    done = Incident.objects.filter(
        pk=incident.pk, closed_at__isnull=True, **{f"{at_field}__isnull": True}
    ).update(**{at_field: now, by_field: actor})
    incident.refresh_from_db()
    if not done:
        return False
    record_incident_change(actor, incident, request, change)
    incident_worked.send(sender=Incident, incident=incident, change=change)
    return True


def record_incident_change(actor, incident: Incident, request, change: str) -> None:
    do_record_access(
        actor,
        AccessEvent.Action.RECORD_CHANGE,
        incident,
        agency=incident.agency,
        request=request,
        detail={"change": change, "model": "agencies.incident"},
    )


def do_annotate_audit_line(
    actor, line: AccessEvent, *, note: str = "", incident: Incident | None = None, request=None
) -> AccessEvent:
    """Attach a note or an incident to an audit line by appending a new line that points at it.

    The annotated line is never changed: its digest is part of every later link.
    """
    note = (note or "").strip()
    if not note and incident is None:
        raise ValidationError({"note": "Write a note or choose an incident."})
    if len(note) > 1000:
        raise ValidationError({"note": "Keep a note under 1000 characters."})
    if incident is not None and incident.agency_id != line.agency_id:
        raise ValidationError({"incident": "The incident must belong to the line's agency."})
    detail = {"annotates": {"sequence": line.sequence, "digest": line.digest}, "note": note}
    action = AccessEvent.Action.ANNOTATION
    return do_record_access(
        actor, action, line, agency=line.agency, incident=incident, request=request, detail=detail
    )

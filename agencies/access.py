"""Who may see what: the one place that scopes querysets by the caller's agency.

Views, viewsets, consumers and the admin call these; none filters by agency itself.
"""

from django.db.models import Q, QuerySet

from agencies.models import Agency, Membership

VIEWING_ROLES = {
    Membership.Role.ADMIN,
    Membership.Role.SUPERVISOR,
    Membership.Role.DISPATCHER,
    Membership.Role.ANALYST,
}


def membership_of(user) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    # Cached on the user object: a request asks several times and the answer cannot change.
    if not hasattr(user, "_rtcc_membership"):
        user._rtcc_membership = Membership.objects.select_related("agency").filter(user=user).first()
    return user._rtcc_membership


def agency_of(user) -> Agency | None:
    membership = membership_of(user)
    return membership.agency if membership else None


def has_role(user, *roles: str) -> bool:
    membership = membership_of(user)
    return membership is not None and membership.role in roles


def scope_to_agency(queryset: QuerySet, user, agency_path: str = "agency") -> QuerySet:
    """Rows of `queryset` whose agency (reached through `agency_path`) is the caller's."""
    if getattr(user, "is_superuser", False):
        return queryset
    agency = agency_of(user)
    if agency is None:
        return queryset.none()
    return queryset.filter(**{agency_path: agency.pk})


def cameras_visible_to(user) -> QuerySet:
    """Cameras the user may know of: location, name and status, never pixels by itself.

    An agency user sees the agency's public cameras and the private cameras whose owners
    share at least their location; an owner sees their own cameras; a per-camera grant
    (django-guardian) adds single cameras of another agency.
    """
    from cameras.models import Camera, Consent

    cameras = Camera.objects.with_consent().select_related("agency")
    if not getattr(user, "is_authenticated", False):
        return cameras.none()
    if user.is_superuser:
        return cameras
    visible = Q(owner=user)
    agency = agency_of(user)
    if agency is not None:
        shared = Q(kind=Camera.Kind.PUBLIC) | Q(
            consent_level__in=[Consent.Level.REGISTRY, Consent.Level.ON_REQUEST, Consent.Level.LIVE]
        )
        visible |= Q(agency=agency) & shared
        visible |= Q(pk__in=_granted_camera_ids(user))
    return cameras.filter(visible)


def _granted_camera_ids(user) -> QuerySet:
    from guardian.shortcuts import get_objects_for_user

    from cameras.models import Camera

    return get_objects_for_user(
        user, "cameras.view_camera", klass=Camera, with_superuser=False, accept_global_perms=False
    ).values("pk")

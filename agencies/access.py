"""Who may see what: the one place that scopes querysets by the caller's agency.

Views, viewsets, consumers and the admin call these; none filters by agency itself.
"""

from django.db.models import QuerySet

from agencies.models import VIEWING_ROLES, Agency, Membership

__all__ = [
    "VIEWING_ROLES",
    "agency_of",
    "has_role",
    "membership_of",
    "remember_membership",
    "scope_to_agency",
]


def membership_of(user) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    # Cached on the user object: a request asks several times and the answer cannot change.
    if not hasattr(user, "_rtcc_membership"):
        user._rtcc_membership = Membership.objects.select_related("agency").filter(user=user).first()
    return user._rtcc_membership


def remember_membership(user, membership: Membership | None) -> None:
    """Cache a membership read with the user (the API token's query) for `membership_of`."""
    user._rtcc_membership = membership


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

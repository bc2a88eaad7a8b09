"""The one permission class for the API.

Object access is decided by scoping (agencies.access): a row outside the caller's
reach is not found, never forbidden, so its existence does not leak. This class adds
the role check: reading needs any membership or ownership; writing needs one of the
view's `write_roles`. A suspended agency's members are refused everything, with the order's
reference and reason, except oversight members, who keep reading.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from agencies.access import membership_of
from agencies.models import Membership


class AgencyRolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        membership = membership_of(user)
        if (
            membership is not None
            and membership.agency.is_suspended
            and membership.role != Membership.Role.OVERSIGHT
        ):
            # DRF reads the refusal from the instance, one per request.
            self.message = membership.agency.suspension_refusal()
            return False
        if request.method in SAFE_METHODS:
            return True
        return membership is not None and membership.role in getattr(view, "write_roles", set())

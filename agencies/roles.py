"""What the agency-admin role lets its holder do in /admin/: one group, the same for every agency.

The group is a ceiling, never the whole rule: each admin class narrows it to the holder's
agency (`AgencyScopedAdmin`) and keeps platform-only changes (contracts, prices, groups,
owners' decisions) for superusers.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

AGENCY_ADMIN_GROUP = "Agency admins"

# app label -> permission codenames. No auth group or permission rights, no contract or
# package writes, no consent or mask writes, no API tokens.
AGENCY_ADMIN_PERMISSIONS = {
    "agencies": [
        "view_agency",
        "change_agency",
        "view_membership",
        "add_membership",
        "change_membership",
        "delete_membership",
        "view_incident",
        "add_incident",
        "change_incident",
        "view_accessevent",
        "view_oversightrecord",
        "add_oversightrecord",
    ],
    "auth": ["view_user", "add_user", "change_user"],
    "cameras": [
        "view_camera",
        "add_camera",
        "change_camera",
        "delete_camera",
        "view_consent",
        "view_privacymask",
        "view_footagerequest",
        "view_footageexport",
        "view_premisesrule",
        "add_premisesrule",
        "change_premisesrule",
        "delete_premisesrule",
        "view_evidencehold",
        "add_evidencehold",
        "change_evidencehold",
        "view_camerashare",
        "add_camerashare",
        "change_camerashare",
    ],
    "devices": ["view_device", "add_device", "change_device", "delete_device"],
    "billing": [
        "view_package",
        "view_contract",
        "view_invoice",
        "view_invoiceline",
        "view_devicesubscription",
        "add_devicesubscription",
        "change_devicesubscription",
        "delete_devicesubscription",
    ],
}


def role_permissions():
    wanted = Q(pk__in=[])
    for app_label, codenames in AGENCY_ADMIN_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    return Permission.objects.filter(wanted)


def agency_admin_group(*, refresh: bool = False) -> Group:
    """The role's group, created with its permissions when missing (and re-set when `refresh`)."""
    group, created = Group.objects.get_or_create(name=AGENCY_ADMIN_GROUP)
    if created or refresh:
        group.permissions.set(role_permissions())
    return group


def sync_role_group(sender, **kwargs) -> None:
    """post_migrate: keep the group's permissions what this module says, after every migrate."""
    if Permission.objects.exists():
        agency_admin_group(refresh=True)

"""Which cameras a user may know of: the one query every camera list, map, wall and media check starts from."""

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from agencies.access import agency_of
from cameras.models import Camera, Consent

# Levels at which an owner shares at least the camera's location with the agency.
SHARED_LEVELS = [Consent.Level.REGISTRY, Consent.Level.ON_REQUEST, Consent.Level.LIVE]


def cameras_visible_to(user) -> QuerySet:
    """Cameras the user may know of: location, name and status, never pixels by itself.

    An agency user sees the agency's public cameras and the private cameras whose owners
    share at least their location; an owner sees their own cameras; a share in force from
    another agency (`cameras.sharing`) and a per-camera grant (django-guardian) add that
    agency's cameras. Only agency cameras are ever shared on: a resident shared with one agency.
    """
    cameras = Camera.objects.with_consent().select_related("agency")
    if not getattr(user, "is_authenticated", False):
        return cameras.none()
    if user.is_superuser:
        return cameras
    visible = Q(owner=user)
    agency = agency_of(user)
    if agency is not None:
        shared = Q(kind=Camera.Kind.PUBLIC) | Q(consent_level__in=SHARED_LEVELS)
        visible |= Q(agency=agency) & shared
        granted, shared_in = granted_and_shared(user, agency)
        if granted:
            visible |= Q(pk__in=granted)
        if shared_in:
            visible |= Q(kind=Camera.Kind.PUBLIC, pk__in=shared_in)
    return cameras.filter(visible)


def granted_and_shared(user, agency) -> tuple[list[int], list[int]]:
    """(cameras granted one by one to the user or their groups, cameras shared with the agency now).

    Read first, in one small query, and matched as lists of ids: as subqueries inside the
    visibility condition they stopped PostgreSQL from combining the owner and agency
    indexes, so a whole agency's cameras cost a scan of every camera (0.8 s at 200,000, most
    of it JIT compiling the scan). With neither, the usual case, both arms drop out.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    content_type = ContentType.objects.get_for_model(Camera).pk
    ids: dict[str, set[int]] = {"grant": set(), "share": set()}
    with connection.cursor() as cursor:
        cursor.execute(
            _GRANTS_AND_SHARES, [user.pk, content_type, user.pk, content_type, agency.pk, now, now]
        )
        for pk, source in cursor.fetchall():
            if str(pk).isdigit():
                ids[source].add(int(pk))
    return sorted(ids["grant"]), sorted(ids["share"])


# `_grants` and `camera_ids_shared_with` (CameraShare.objects.in_force) written out as one
# statement: built with the ORM (three querysets, a union, a cast) it cost more of a near
# query's CPU than the rest of the visibility condition. tests/foundation/test_access.py holds
# it to the ORM's answer.
_GRANTS_AND_SHARES = """
SELECT p.object_pk, 'grant' FROM guardian_userobjectpermission p
  JOIN auth_permission a ON a.id = p.permission_id
 WHERE p.user_id = %s AND p.content_type_id = %s AND a.codename = 'view_camera'
UNION
SELECT p.object_pk, 'grant' FROM guardian_groupobjectpermission p
  JOIN auth_permission a ON a.id = p.permission_id
  JOIN auth_user_groups g ON g.group_id = p.group_id
 WHERE g.user_id = %s AND p.content_type_id = %s AND a.codename = 'view_camera'
UNION
SELECT CAST(c.camera_id AS VARCHAR(40)), 'share' FROM cameras_camerashare_cameras c
  JOIN cameras_camerashare s ON s.id = c.camerashare_id
 WHERE s.to_agency_id = %s AND s.revoked_at IS NULL AND s.starts_at <= %s AND s.ends_at > %s
"""


def granted_cameras(user) -> Q:
    """Cameras granted one by one (`cameras.view_camera` on the camera), to the user or their groups."""
    return Q(pk__in=sorted({int(pk) for pk, _ in _grants(user) if str(pk).isdigit()}))


def _grants(user) -> QuerySet:
    """(object id, "grant") of the user's and their groups' `cameras.view_camera` grants, one query."""
    grant = {"permission__codename": "view_camera", "content_type": ContentType.objects.get_for_model(Camera)}
    direct = UserObjectPermission.objects.filter(user=user, **grant)
    via_groups = GroupObjectPermission.objects.filter(group__user=user, **grant)
    return (
        direct.annotate(source=Value("grant"))
        .values_list("object_pk", "source")
        .union(via_groups.annotate(source=Value("grant")).values_list("object_pk", "source"))
    )

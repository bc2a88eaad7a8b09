"""Which cameras a user may know of: the one query every camera list, map, wall and media check starts from."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast
from guardian.models import GroupObjectPermission, UserObjectPermission

from agencies.access import agency_of
from cameras.models import Camera, Consent

# Levels at which an owner shares at least the camera's location with the agency.
SHARED_LEVELS = [Consent.Level.REGISTRY, Consent.Level.ON_REQUEST, Consent.Level.LIVE]


def cameras_visible_to(user) -> QuerySet:
    """Cameras the user may know of: location, name and status, never pixels by itself.

    An agency user sees the agency's public cameras and the private cameras whose owners
    share at least their location; an owner sees their own cameras; a per-camera grant
    (django-guardian) adds single cameras of another agency.
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
        visible |= granted_cameras(user)
    return cameras.filter(visible)


def granted_cameras(user) -> Q:
    """Cameras granted one by one (`cameras.view_camera` on the camera), to the user or their groups.

    The grants' object ids are cast to the camera key, so the database matches them as a
    small hashed set instead of casting every camera's id to text (a scan of the whole
    table, as guardian's own get_objects_for_user does).
    """
    grant = {"permission__codename": "view_camera", "content_type": ContentType.objects.get_for_model(Camera)}
    direct = UserObjectPermission.objects.filter(user=user, **grant)
    via_groups = GroupObjectPermission.objects.filter(group__user=user, **grant)
    return Q(pk__in=_camera_ids(direct)) | Q(pk__in=_camera_ids(via_groups))


def _camera_ids(grants: QuerySet) -> QuerySet:
    return grants.annotate(camera_id=Cast("object_pk", BigIntegerField())).values("camera_id")

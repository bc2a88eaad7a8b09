"""Which cameras a user may know of: the one query every camera list, map, wall and media check starts from."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast
from guardian.models import GroupObjectPermission, UserObjectPermission

from agencies.access import agency_of
from cameras.models import Camera, Consent
from cameras.sharing.models import camera_ids_shared_with

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
        visible |= Q(pk__in=granted) | Q(kind=Camera.Kind.PUBLIC, pk__in=shared_in)
    return cameras.filter(visible)


def granted_and_shared(user, agency) -> tuple[list[int], list[int]]:
    """(cameras granted one by one to the user or their groups, cameras shared with the agency now).

    Read first, in one small query, and matched as lists of ids: as subqueries inside the
    visibility condition they stopped PostgreSQL from combining the owner and agency
    indexes, so a whole agency's cameras cost a scan of every camera (0.8 s at 200,000, most
    of it JIT compiling the scan). With neither, the usual case, both arms drop out.
    """
    shared = camera_ids_shared_with(agency.pk).annotate(
        object_pk=Cast("camera_id", CharField()), source=Value("share")
    )
    ids: dict[str, set[int]] = {"grant": set(), "share": set()}
    for pk, source in _grants(user).union(shared.values_list("object_pk", "source")):
        if str(pk).isdigit():
            ids[source].add(int(pk))
    return sorted(ids["grant"]), sorted(ids["share"])


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

"""What a share lets another agency do, and who has access to a camera: both read from the grants, never declared.

Which cameras a user may know of stays `cameras.access.cameras_visible_to` (shares in force
are one of its terms); this module adds what depends on a share's scope and window.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from agencies.access import agency_of
from agencies.models import Agency, Membership
from cameras.access import SHARED_LEVELS, granted_cameras
from cameras.models import Camera
from cameras.sharing.models import CameraShare


def foreign_refusal(user, camera: Camera, scope: str | None = "live", now=None) -> str:
    """Why `user` may not use `camera` for `scope` ("live", "recorded", None: either) as another agency's camera.

    Empty when they may, and for the camera's own agency and superusers: their access is the
    consent rule's. A user of another agency needs a per-camera grant or a share in force
    with that scope.
    """
    return foreign_refusals(user, [camera], scope, now)[camera.pk]


def foreign_refusals(user, cameras, scope: str | None = "live", now=None) -> dict[int, str]:
    """`foreign_refusal` for many cameras at once: {camera id: reason or ""}; no query without a foreign camera."""
    agency = agency_of(user)
    foreign = [
        camera
        for camera in cameras
        if not getattr(user, "is_superuser", False) and (agency is None or camera.agency_id != agency.pk)
    ]
    refusals = {camera.pk: "" for camera in cameras}
    if not foreign:
        return refusals
    ids = [camera.pk for camera in foreign]
    allowed = set(Camera.objects.filter(granted_cameras(user), pk__in=ids).values_list("pk", flat=True))
    if agency is not None:
        allowed |= set(
            CameraShare.cameras.through.objects.filter(
                camera_id__in=ids,
                camerashare__in=CameraShare.objects.in_force(now).filter(
                    to_agency=agency, **({scope: True} if scope else {})
                ),
            ).values_list("camera_id", flat=True)
        )
    for camera in foreign:
        if camera.pk not in allowed:
            refusals[camera.pk] = refusal_text(camera, scope)
    return refusals


def refusal_text(camera: Camera, scope: str | None) -> str:
    what = {"live": "live video", "recorded": "recordings", None: "video"}[scope]
    return f"{camera.agency.name} does not share this camera's {what} with your agency now."


def next_share_turn(camera_id: int, now):
    """The next moment a share of the camera begins or ends (a stored media decision may not outlive it)."""
    turns = [
        moment
        for start, end in CameraShare.objects.filter(
            cameras__pk=camera_id, revoked_at__isnull=True, ends_at__gt=now
        ).values_list("starts_at", "ends_at")
        for moment in (start, end)
        if moment > now
    ]
    return min(turns, default=None)


def _grant_holders(cameras: QuerySet) -> QuerySet:
    """Agency ids of users holding a per-camera grant on any of `cameras`, directly or through a group."""
    grant = {"permission__codename": "view_camera", "content_type": ContentType.objects.get_for_model(Camera)}
    ids = cameras.values("pk")
    users = (
        UserObjectPermission.objects.filter(**grant)
        .annotate(camera_id=Cast("object_pk", BigIntegerField()))
        .filter(camera_id__in=ids)
        .values("user_id")
    )
    groups = (
        GroupObjectPermission.objects.filter(**grant)
        .annotate(camera_id=Cast("object_pk", BigIntegerField()))
        .filter(camera_id__in=ids)
        .values("group_id")
    )
    return Membership.objects.filter(Q(user_id__in=users) | Q(user__groups__in=groups)).values("agency_id")


def agencies_with_access(cameras: QuerySet, now=None) -> QuerySet:
    """Every agency that may see at least one of `cameras` now: their own (as the owner's consent allows), shares, grants.

    Counted from the rows that give access (the same ones `cameras_visible_to` reads), so
    the public figure cannot differ from what the system enforces.
    """
    now = now or timezone.now()
    shared = CameraShare.objects.in_force(now).filter(cameras__in=cameras.filter(kind=Camera.Kind.PUBLIC))
    # The camera's own agency sees it only as `cameras_visible_to` says: its own, or an owner sharing at least the place.
    seen_at_home = Camera.objects.with_consent().filter(
        Q(kind=Camera.Kind.PUBLIC) | Q(consent_level__in=SHARED_LEVELS), pk__in=cameras.values("pk")
    )
    return Agency.objects.filter(
        Q(pk__in=seen_at_home.values("agency_id"))
        | Q(pk__in=shared.values("to_agency_id"))
        | Q(pk__in=_grant_holders(cameras))
    ).order_by("name")

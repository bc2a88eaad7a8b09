"""Who may have a camera's media bytes right now: checked on every request, from the database."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.access import VIEWING_ROLES, agency_of, has_role
from cameras.access import cameras_visible_to
from cameras.consent import is_agency_camera, live_refusal
from cameras.media.signing import MediaGrant, read_token, token_in
from cameras.sharing.rules import foreign_refusal
from cameras.viewing.models import ViewingSession


class MediaRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_may_watch(user, camera_id: int, scope: str = "live"):
    """The camera if `user` may watch its live video now (its recordings, with `scope` "recorded"); MediaRefused otherwise."""
    if not getattr(user, "is_active", False):
        raise MediaRefused(403, "Sign in as an agency user.")
    if not (user.is_superuser or has_role(user, *VIEWING_ROLES)):
        raise MediaRefused(403, "Your role does not watch video.")
    agency = agency_of(user)
    if agency is not None and agency.is_suspended:
        raise MediaRefused(403, agency.suspension_refusal())
    camera = cameras_visible_to(user).filter(pk=camera_id).first()
    if camera is None:
        raise MediaRefused(404, "No such camera.")
    refusal = live_refusal(camera) or foreign_refusal(user, camera, scope)
    if refusal:
        raise MediaRefused(403, refusal)
    return camera


def check_may_see_snapshot(user, camera_id: int):
    """The camera if `user` may see its latest picture: a private camera's only within an open viewing session.

    A snapshot is pixels like any segment: without a purpose on record (the session's own
    audit line) a private camera shows nothing, whatever its consent says.
    """
    camera = check_may_watch(user, camera_id)
    if not is_agency_camera(camera) and not open_session_exists(user, camera_id):
        raise MediaRefused(403, "A private camera's picture is shown only once you give a purpose.")
    return camera


def open_session_exists(user, camera_id: int) -> bool:
    return ViewingSession.objects.filter(
        user=user, camera_id=camera_id, ended_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def check_live_media(token: str, camera_id: int, request_user=None) -> MediaGrant:
    """The grant the signed URL carries if it may still be served; MediaRefused with the reason otherwise."""
    grant = read_token(token, camera_id)
    if grant is None:
        raise MediaRefused(403, "This video link is invalid or has expired; open the camera again.")
    return check_grant(grant, camera_id, request_user)


def check_grant(grant: MediaGrant, camera_id: int, request_user=None, scope: str = "live") -> MediaGrant:
    """`grant` if its user may still have this camera's media now (`scope`: live or recorded); MediaRefused otherwise."""
    if getattr(request_user, "is_authenticated", False) and request_user.pk != grant.user_id:
        raise MediaRefused(403, "This video link was issued to someone else.")
    user = get_user_model().objects.filter(pk=grant.user_id).first()
    camera = check_may_watch(user, camera_id, scope)
    if grant.session_id is None:
        if not is_agency_camera(camera):
            raise MediaRefused(403, "A private camera is watched only within a viewing session.")
        return grant
    session = ViewingSession.objects.filter(
        pk=grant.session_id, user_id=grant.user_id, camera_id=camera_id
    ).first()
    if session is None or not session.is_open_at(timezone.now()):
        raise MediaRefused(403, "The viewing session has ended.")
    return grant


def check_live_url_renewal(user, camera_id: int, hls_url: str) -> MediaGrant:
    """The grant of `hls_url`, the caller's own live link, if the view it serves may go on.

    The checks are those of every media request, so a renewal outlives neither consent, nor
    role, nor the viewing session. It writes no audit line: the view was audited when it
    opened, and a new link only keeps the same view playing.
    """
    if not getattr(user, "is_authenticated", False):
        raise MediaRefused(403, "Sign in as an agency user.")
    token = token_in(hls_url, camera_id)
    if token is None:
        raise MediaRefused(400, "This is not a live video link of this camera.")
    return check_live_media(token, camera_id, user)

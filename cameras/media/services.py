"""Who may have a camera's media bytes right now: checked on every request, from the database."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from agencies.access import VIEWING_ROLES, cameras_visible_to, has_role
from agencies.models import ViewingSession
from cameras.media.signing import read_token
from cameras.relay.desired import live_refusal


class MediaRefused(Exception):
    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def check_may_watch(user, camera_id: int):
    """The camera if `user` may watch its live video now; MediaRefused otherwise."""
    if not getattr(user, "is_active", False):
        raise MediaRefused(403, "Sign in as an agency user.")
    if not (user.is_superuser or has_role(user, *VIEWING_ROLES)):
        raise MediaRefused(403, "Your role does not watch video.")
    camera = cameras_visible_to(user).filter(pk=camera_id).first()
    if camera is None:
        raise MediaRefused(404, "No such camera.")
    refusal = live_refusal(camera)
    if refusal:
        raise MediaRefused(403, refusal)
    return camera


def check_live_media(token: str, camera_id: int, request_user=None):
    """The camera if the signed URL may still be served; MediaRefused with the reason otherwise."""
    from cameras.models import Camera

    grant = read_token(token, camera_id)
    if grant is None:
        raise MediaRefused(403, "This video link is invalid or has expired; open the camera again.")
    if getattr(request_user, "is_authenticated", False) and request_user.pk != grant.user_id:
        raise MediaRefused(403, "This video link was issued to someone else.")
    user = get_user_model().objects.filter(pk=grant.user_id).first()
    camera = check_may_watch(user, camera_id)
    if grant.session_id is None:
        if camera.kind != Camera.Kind.PUBLIC:
            raise MediaRefused(403, "A private camera is watched only within a viewing session.")
        return camera
    session = ViewingSession.objects.filter(
        pk=grant.session_id, user_id=grant.user_id, camera_id=camera_id
    ).first()
    if session is None or not session.is_open_at(timezone.now()):
        raise MediaRefused(403, "The viewing session has ended.")
    return camera

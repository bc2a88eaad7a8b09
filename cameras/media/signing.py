"""Short-lived signed media URLs, bound to one camera, one user and one viewing session.

The token sits in the URL's path, before the file name, so the HLS playlist's relative
segment names resolve under the same token with no rewriting. It proves only who asked
and when: every request is authorised again against the database (`check_live_media`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

SALT = "rtcc.media.live"


@dataclass(frozen=True)
class MediaGrant:
    camera_id: int
    user_id: int
    session_id: int | None


def url_lifetime() -> timedelta:
    return timedelta(seconds=settings.RTCC_MEDIA_URL_SECONDS)


def hls_url_for(camera, user, session) -> tuple[str, datetime]:
    """(playlist URL, expiry) for `user` watching `camera` under `session` (None: a public camera)."""
    return signed_hls_url(MediaGrant(camera.pk, user.pk, session.pk if session is not None else None))


def sign_grant(grant: MediaGrant, salt: str = SALT) -> str:
    """A URL-safe token carrying `grant`; `salt` keeps live and recorded links apart."""
    return signing.dumps(
        {"c": grant.camera_id, "u": grant.user_id, "s": grant.session_id}, salt=salt, compress=False
    )


def signed_hls_url(grant: MediaGrant) -> tuple[str, datetime]:
    """(playlist URL, expiry) carrying `grant`, valid from now."""
    token = sign_grant(grant)
    url = reverse("media-live", kwargs={"camera_id": grant.camera_id, "token": token, "name": "index.m3u8"})
    return url, timezone.now() + url_lifetime()


def token_in(url: str, camera_id: int) -> str | None:
    """The token of a live media URL of this camera (as `hls_url_for` writes it); None for any other URL."""
    try:
        match = resolve(urlsplit(url).path)
    except (Resolver404, ValueError):
        return None
    if match.url_name != "media-live" or int(match.kwargs["camera_id"]) != camera_id:
        return None
    return match.kwargs["token"]


def read_token(token: str, camera_id: int, salt: str = SALT) -> MediaGrant | None:
    """The grant the token carries if it is genuine, unexpired and for this camera; else None."""
    try:
        data = signing.loads(token, salt=salt, max_age=url_lifetime())
        grant = MediaGrant(int(data["c"]), int(data["u"]), None if data["s"] is None else int(data["s"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return grant if grant.camera_id == camera_id else None

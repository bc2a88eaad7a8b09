"""The ASGI fast path: a playlist or segment whose stored decision allows it, answered before Django.

Through Django even a stored decision costs a few milliseconds of CPU per request: the
middleware stack, the URL resolver and a hop to the worker thread that runs sync views.
A wall tile asks about once a second per file, so that cost, not the check, bounds how
many walls a web process carries. This path answers the one case that needs none of it:
nginx sends the bytes (`RTCC_MEDIA_ACCEL_REDIRECT`) and the stored decision for this token
and session cookie still holds, read in the same single MGET as the view would
(`cameras/media/authorization_cache.py`). Everything else, a bad token, a decision this
process has not met, a refusal, Redis unreachable, the embedded default that streams
files from Django, goes on to Django unchanged, which decides and stores.

nginx passes only Content-Type, Cache-Control and a few others of an X-Accel-Redirect
answer to the client, so Django's security headers would not reach it from either path.
"""

import asyncio
import re

import redis.asyncio
from django.conf import settings
from django.http.cookie import parse_cookie
from redis.exceptions import RedisError

from cameras.media.authorization_cache import decision_key, redis_location, remembered, trusted
from cameras.media.signing import read_token
from cameras.media.urls import LIVE_FILE
from cameras.media.views import CONTENT_TYPES, accel_redirect_path
from cameras.relay.layout import live_dir
from rtcc.async_redis import async_redis

LIVE_PATH = re.compile(rf"^/{LIVE_FILE}$")
REDIS_SECONDS = 2  # past this, the request goes on to Django, which decides without the fast path


class MediaFastPath:
    """ASGI middleware in front of Django's HTTP application."""

    def __init__(self, app):
        self.app = app
        self.clients: dict[tuple[str, int], redis.asyncio.Redis] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in {"GET", "HEAD"} and self.enabled():
            match = LIVE_PATH.match(scope["path"])
            if match is not None and await self.stored_allow(scope, match):
                await self.send_accel_redirect(send, int(match["camera_id"]), match["name"])
                return
        await self.app(scope, receive, send)

    @staticmethod
    def enabled() -> bool:
        return bool(settings.RTCC_MEDIA_ACCEL_REDIRECT) and settings.RTCC_MEDIA_AUTH_CACHE_SECONDS > 0

    def client(self) -> redis.asyncio.Redis:
        # A pool belongs to one event loop.
        loop_key = (redis_location(), id(asyncio.get_running_loop()))
        if loop_key not in self.clients:
            self.clients[loop_key] = async_redis(redis_location(), connect_seconds=REDIS_SECONDS)
        return self.clients[loop_key]

    async def stored_allow(self, scope, match) -> bool:
        camera_id, token = int(match["camera_id"]), match["token"]
        if read_token(token, camera_id) is None:
            return False
        name = decision_key(token, session_cookie(scope))
        scopes = remembered.get(name)
        if scopes is None:
            return False
        try:
            async with asyncio.timeout(REDIS_SECONDS):
                raw, *values = await self.client().mget([name, *scopes])
        except (RedisError, OSError, TimeoutError):
            return False
        decision = trusted(name, raw, scopes, values)
        return decision is not None and decision.status == 200

    @staticmethod
    async def send_accel_redirect(send, camera_id: int, name: str) -> None:
        path = live_dir(camera_id) / name
        headers = [
            (b"content-type", CONTENT_TYPES[path.suffix].encode()),
            (b"content-length", b"0"),
            (b"cache-control", b"private, no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-accel-redirect", accel_redirect_path(path).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def session_cookie(scope) -> str:
    # Joined as Django's ASGI handler joins them: HTTP/2 may send one header per cookie.
    cookies = "; ".join(value.decode("latin-1") for header, value in scope["headers"] if header == b"cookie")
    return parse_cookie(cookies).get(settings.SESSION_COOKIE_NAME, "")

"""Which pages may open a WebSocket: only this site's own, by scheme, host and port.

Browsers send cookies with a WebSocket to any site that asks, so a socket opened by another
origin would act as the signed-in person (cross-site WebSocket hijacking). Channels' own
validator compares the Origin's host name only: a page on another port of the same host
(a different origin, perhaps another application) would pass. Here the Origin must equal the
origin the socket was opened on, and that host must be one of ALLOWED_HOSTS; an origin listed
in CSRF_TRUSTED_ORIGINS (a site behind a proxy that rewrites the scheme or port) is accepted too.
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin1")
    return ""


def origin_allowed(scope) -> bool:
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    scheme = "https" if scope.get("scheme", "ws") in {"wss", "https"} else "http"
    host_name, host_port = split_domain_port(host)
    if not host_name or not validate_host(host_name, settings.ALLOWED_HOSTS):
        return False
    try:
        parts = urlsplit(origin)
        origin_port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return False
    own_port = int(host_port) if host_port.isdigit() else DEFAULT_PORTS[scheme]
    return (parts.scheme, (parts.hostname or "").lower(), origin_port) == (scheme, host_name, own_port)


class SameOriginValidator:
    """ASGI middleware: refuse a WebSocket whose Origin is not the site's own."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)

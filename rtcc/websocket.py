"""Which pages may open a WebSocket: only this site's own, by scheme, host and port.

Browsers send cookies with a WebSocket to any site that asks, so a socket opened by another
origin would act as the signed-in person (cross-site WebSocket hijacking). Channels' own
validator compares the Origin's host name only: a page on another port of the same host
(a different origin, perhaps another application) would pass. Here the Origin must equal the
origin the socket was opened on, and that host must be one of ALLOWED_HOSTS; an origin listed
in CSRF_TRUSTED_ORIGINS (a site behind a proxy that rewrites the scheme or port) is accepted too.
"""

from urllib.parse import urlsplit

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from rtcc import jsonlimits

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


class BoxSocketsApart:
    """ASGI middleware: edge boxes' control sockets (`box_paths`) skip the browser stack.

    A box is no browser: it sends no Origin and no cookie, and authenticates with its device
    token in its consumer, which refuses any socket that does carry an Origin.
    """

    def __init__(self, box_application, browser_application, box_paths):
        self.box_application, self.browser_application = box_application, browser_application
        self.box_paths = frozenset(box_paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and scope.get("path") in self.box_paths:
            return await self.box_application(scope, receive, send)
        return await self.browser_application(scope, receive, send)


class BoundedJsonConsumer(AsyncJsonWebsocketConsumer):
    """A consumer of small JSON messages: anything else is answered with a reason, never by an
    exception that would end the connection with an error (the socket's 500)."""

    max_message_chars = 4096

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > self.max_message_chars:
            await self.send_json(
                {"type": "error", "detail": f"Send JSON text of at most {self.max_message_chars} characters."}
            )
            return
        try:
            content = jsonlimits.loads(text_data)
        except jsonlimits.JSONRefused as error:
            await self.send_json({"type": "error", "detail": str(error)})
            return
        await self.receive_json(content, **kwargs)

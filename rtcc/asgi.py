"""ASGI entry point: HTTP through Django (live media first through its fast path), WebSockets through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

from rtcc.startup import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtcc.settings")
load_settings_or_exit()
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402 -- needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from cameras.media.fast_path import MediaFastPath  # noqa: E402
from rtcc.routing import (  # noqa: E402
    DEVICE_SOCKET_PATHS,
    device_websocket_urlpatterns,
    websocket_urlpatterns,
)
from rtcc.websocket import BoxSocketsApart, SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Stored "yes" answers for live playlists and segments skip Django (cameras/media/fast_path.py).
        "http": MediaFastPath(django_asgi_app),
        "websocket": BoxSocketsApart(
            URLRouter(device_websocket_urlpatterns),
            SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
            DEVICE_SOCKET_PATHS,
        ),
    }
)

# Everything loaded so far (Django, the apps, the URL patterns) lives as long as the process:
# kept out of the collector's generations, a full collection no longer walks it, which took
# tens of milliseconds off the slowest answers of a busy web process.
gc.freeze()

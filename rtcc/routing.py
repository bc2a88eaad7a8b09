from django.urls import path

from cameras.consumers import WallConsumer
from cameras.live_stream.consumer import LiveStreamConsumer
from devices.consumers import DeviceConsumer

websocket_urlpatterns = [
    path("ws/wall/", WallConsumer.as_asgi()),
    path("ws/live/", LiveStreamConsumer.as_asgi()),
]

# Edge boxes' control channels: no Origin, no cookies, a device token (rtcc.websocket.BoxSocketsApart).
device_websocket_urlpatterns = [
    path("ws/device/", DeviceConsumer.as_asgi()),
]
DEVICE_SOCKET_PATHS = ["/ws/device/"]

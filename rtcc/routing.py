from django.urls import path

from cameras.consumers import WallConsumer

websocket_urlpatterns = [
    path("ws/wall/", WallConsumer.as_asgi()),
]

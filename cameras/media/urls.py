from django.urls import path, re_path

from cameras.footage.playback_views import playback_file
from cameras.media import views

# A live playlist or segment; the ASGI fast path (cameras/media/fast_path.py) matches the same.
LIVE_FILE = (
    r"media/live/(?P<camera_id>[0-9]{1,12})/(?P<token>[A-Za-z0-9_:=-]{10,400})/"
    r"(?P<name>[A-Za-z0-9_-]{1,64}\.(?:m3u8|ts|m4s|mp4))"
)

urlpatterns = [
    re_path(
        rf"^{LIVE_FILE}$",
        views.live_file,
        name="media-live",
    ),
    # Recorded video: an hour's VOD playlist from a moment, or one recording segment.
    re_path(
        r"^media/playback/(?P<camera_id>[0-9]{1,12})/(?P<token>[A-Za-z0-9_:=-]{10,400})/"
        r"(?P<name>[0-9]{8}T[0-9]{6}Z)\.(?P<ext>m3u8|ts)$",
        playback_file,
        name="media-playback",
    ),
    path("media/snapshot/<id:camera_id>.jpg", views.snapshot, name="media-snapshot"),
]

"""Live playlists, segments and wall snapshots (an idle camera's: its box's thumbnail), each request authorised again.

A playlist or segment request is answered from the stored decision while nothing it
depends on changed (cameras/media/authorization_cache.py): no SQL, one Redis round trip.

The embedded default streams files from Django; with `RTCC_MEDIA_ACCEL_REDIRECT` set
(an nginx `internal` location, docs/relay-fleet.md) Django only authorises and nginx
sends the bytes.
"""

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from cameras.media.authorization_cache import authorize_live_request
from cameras.media.services import MediaRefused, check_may_see_snapshot
from cameras.media.thumbnails import latest_thumbnail
from cameras.models import Camera
from cameras.relay.layout import live_dir, snapshot_path
from cameras.relay.snapshots import fresh_snapshot
from cameras.relay.status import shown_status

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
}


def refused(error: MediaRefused) -> JsonResponse:
    return JsonResponse({"detail": error.reason}, status=error.status)


def accel_redirect_path(path: Path) -> str:
    relative = path.relative_to(settings.MEDIA_ROOT).as_posix()
    return f"{settings.RTCC_MEDIA_ACCEL_REDIRECT.rstrip('/')}/{relative}"


def send_file(path: Path) -> HttpResponse:
    content_type = CONTENT_TYPES[path.suffix]
    if settings.RTCC_MEDIA_ACCEL_REDIRECT:
        # nginx checks existence itself and answers 404; Django never opens the file.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel_redirect_path(path)
    else:
        try:
            response = FileResponse(path.open("rb"), content_type=content_type)
        except OSError:
            return JsonResponse({"detail": "Not available yet; try again in a moment."}, status=404)
    return never_cached(response)


def never_cached(response: HttpResponse) -> HttpResponse:
    # A revoke must be the end of the bytes, in every cache between.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def live_file(request, camera_id: int, token: str, name: str):
    camera_id = int(camera_id)  # the URL pattern allows digits only
    try:
        authorize_live_request(token, camera_id, request)
    except MediaRefused as error:
        return refused(error)
    return send_file(live_dir(camera_id) / name)


@require_GET
def snapshot(request, camera_id: int):
    try:
        camera = check_may_see_snapshot(request.user, camera_id)
    except MediaRefused as error:
        return refused(error)
    if shown_status(camera, "")[0] == Camera.Status.IDLE:  # may be seen (checked above), not relayed
        # No relay makes its picture: the latest thumbnail its box sent (cameras/media/thumbnails.py),
        # unless the camera has privacy masks, which only the relay burns in.
        if camera.privacy_masks.exists():
            return JsonResponse(
                {"detail": "This camera has privacy masks: its picture shows only once it is opened."},
                status=404,
            )
        return send_thumbnail(camera.pk)
    # Made from the newest live segment now, if it is newer than the picture on disk.
    return send_file(fresh_snapshot(camera_id) or snapshot_path(camera_id))


def send_thumbnail(camera_id: int) -> HttpResponse:
    data = latest_thumbnail(camera_id)
    if data is None:
        return JsonResponse(
            {"detail": "No picture from the camera's box yet; try again in a moment."}, status=404
        )
    return never_cached(HttpResponse(data, content_type=CONTENT_TYPES[".jpg"]))

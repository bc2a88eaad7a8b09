"""Recorded media for the wall's playback: a VOD playlist per hour asked for, and the segments it names.

Each request is authorised again, as live media are (cameras/footage/playback.py).
"""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from cameras.footage.clips import parse_stamp
from cameras.footage.playback import check_playback_media, kept_segment_path, vod_playlist
from cameras.media.services import MediaRefused
from cameras.media.views import CONTENT_TYPES, refused, send_file
from cameras.models import Camera


@require_GET
def playback_file(request, camera_id: str, token: str, name: str, ext: str):
    camera_id = int(camera_id)  # the URL pattern allows digits only
    try:
        check_playback_media(token, camera_id, request.user)
    except MediaRefused as error:
        return refused(error)
    camera = Camera.objects.select_related("agency").get(pk=camera_id)
    if ext == "m3u8":
        start = parse_stamp(name)
        if start is None:
            return JsonResponse({"detail": "No such moment."}, status=404)
        response = HttpResponse(vod_playlist(camera, start), content_type=CONTENT_TYPES[".m3u8"])
        response["Cache-Control"] = "private, no-store"
        return response
    path = kept_segment_path(camera, name)
    if path is None:
        return JsonResponse({"detail": "This recording is not kept (any more)."}, status=404)
    return send_file(path)

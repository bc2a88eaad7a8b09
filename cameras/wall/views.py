from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from agencies.access import has_role, membership_of
from cameras.wall import services
from cameras.wall.models import Grid, Layout
from cameras.wall.purpose import current_wall_purpose, do_clear_wall_purpose, do_set_wall_purpose
from rtcc import jsonlimits

# hls.js, tuned for the lowest latency that still plays smoothly with 1 s segments: half a
# second behind the newest segment's end, catching up at up to 1.5x speed.
# bench/glass_to_glass.py reads these from the page: 1.7 s camera-to-screen on the relayed path
# against 2.3 s with one whole segment behind the edge (docs/BENCHMARKS.md).
HLS_PLAYER = {
    "lowLatencyMode": True,
    "liveSyncDuration": 0.5,
    "liveMaxLatencyDuration": 3,
    "maxLiveSyncPlaybackRate": 1.5,
}


def _wall_member(request):
    membership = membership_of(request.user)
    if membership is None or not membership.watches_video:
        raise PermissionDenied("The wall is for agency members who watch video.")
    return membership


@login_required
def wall(request):
    """The dispatchers' video wall; its state arrives over the WebSocket."""
    membership = _wall_member(request)
    config = {
        "tileUrl": settings.RTCC_MAP_TILE_URL,
        "centre": [membership.agency.lat, membership.agency.lon],
        "grids": Grid.values,
        "canPush": has_role(request.user, *services.PUSH_ROLES),
        "username": request.user.get_username(),
        "hls": HLS_PLAYER,
        "purpose": current_wall_purpose(request),
    }
    return render(request, "cameras/wall.html", {"wall_config": config})


def _json_error(error: Exception, status: int) -> JsonResponse:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return JsonResponse({"errors": error.message_dict}, status=status)
    return JsonResponse({"detail": " ".join(getattr(error, "messages", [str(error)]))}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def layouts(request):
    """GET: the user's layouts and the agency's shared ones. POST: save one by name."""
    try:
        _wall_member(request)
        if request.method == "GET":
            return JsonResponse(
                {"layouts": [layout.as_dict() for layout in services.layouts_for(request.user)]}
            )
        try:
            body = jsonlimits.request_json(request, empty={})
        except jsonlimits.JSONRefused as error:
            return JsonResponse({"detail": str(error)}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"detail": "Send a JSON object."}, status=400)
        shared = body.get("shared", False)
        if not isinstance(shared, bool):
            return JsonResponse({"errors": {"shared": ["Shared is true or false."]}}, status=400)
        layout = services.do_save_layout(
            request.user,
            name=body.get("name"),
            grid=body.get("grid"),
            tiles=body.get("tiles", []),
            shared=shared,
        )
    except PermissionDenied as error:
        return _json_error(error, 403)
    except ValidationError as error:
        return _json_error(error, 400)
    return JsonResponse(layout.as_dict(), status=201)


@login_required
@require_http_methods(["DELETE"])
def layout_detail(request, layout_id: int):
    try:
        _wall_member(request)
        layout = services.editable_layout(request.user, layout_id)
    except Layout.DoesNotExist:
        return JsonResponse({"detail": "Not found."}, status=404)
    except PermissionDenied as error:
        return _json_error(error, 403)
    services.do_delete_layout(request.user, layout)
    return HttpResponse(status=204)


@login_required
@require_POST
def layout_push(request, layout_id: int):
    """Send a layout to every wall of the agency, under a name and until it expires."""
    try:
        _wall_member(request)
        layout = services.editable_layout(request.user, layout_id)
        # The options are optional: a POST with no JSON body pushes under the layout's name for 12 hours.
        try:
            body = (
                jsonlimits.request_json(request, empty={})
                if request.content_type == "application/json"
                else {}
            )
        except jsonlimits.JSONRefused as error:
            return JsonResponse({"detail": str(error)}, status=400)
        if not isinstance(body, dict):
            return JsonResponse({"detail": "Send a JSON object."}, status=400)
        push = services.do_push_layout(
            request.user, layout, name=body.get("name"), minutes=body.get("expires_in_minutes")
        )
    except Layout.DoesNotExist:
        return JsonResponse({"detail": "Not found."}, status=404)
    except PermissionDenied as error:
        return _json_error(error, 403)
    except ValidationError as error:
        return _json_error(error, 400)
    return JsonResponse(push.as_dict(), status=201)


@login_required
@require_http_methods(["GET", "PUT", "DELETE"])
def wall_purpose(request):
    """The wall's working purpose for this sign-in: read (GET), state (PUT) or end (DELETE)."""
    try:
        _wall_member(request)
        if request.method == "GET":
            return JsonResponse({"purpose": current_wall_purpose(request)})
        if request.method == "DELETE":
            do_clear_wall_purpose(request)
            return HttpResponse(status=204)
        try:
            body = jsonlimits.request_json(request, empty={})
        except jsonlimits.JSONRefused as error:
            return JsonResponse({"detail": str(error)}, status=400)
        purpose = do_set_wall_purpose(request, body)
    except PermissionDenied as error:
        return _json_error(error, 403)
    except ValidationError as error:
        return _json_error(error, 400)
    return JsonResponse({"purpose": purpose})

import functools

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


def _wall_config(request, membership) -> dict:
    return {
        "tileUrl": settings.RTCC_MAP_TILE_URL,
        "centre": [membership.agency.lat, membership.agency.lon],
        "agency": membership.agency.slug,  # a camera of another agency is listed as shared by it
        "grids": Grid.values,
        "canPush": has_role(request.user, *services.PUSH_ROLES),
        "username": request.user.get_username(),
        "hls": HLS_PLAYER,
        "purpose": current_wall_purpose(request),
    }


@login_required
def wall(request):
    """The dispatchers' video wall; its state arrives over the WebSocket."""
    membership = _wall_member(request)
    return render(request, "cameras/wall.html", {"wall_config": _wall_config(request, membership)})


@login_required
def wall_tile(request, camera_id: int):
    """One tile of the wall in a window of its own, for another monitor.

    It decides nothing: the camera comes over the wall's socket only if the user may see it,
    and its video opens its own view under the wall's purpose, checked as any tile's.
    """
    membership = _wall_member(request)
    config = {**_wall_config(request, membership), "tileCamera": camera_id}
    return render(request, "cameras/wall_tile.html", {"wall_config": config})


def _json_error(error: Exception, status: int) -> JsonResponse:
    if isinstance(error, ValidationError) and hasattr(error, "message_dict"):
        return JsonResponse({"errors": error.message_dict}, status=status)
    return JsonResponse({"detail": " ".join(getattr(error, "messages", [str(error)]))}, status=status)


def wall_json(view):
    """A JSON endpoint of the wall: for wall members only, every refusal a 4xx with its reason."""

    @functools.wraps(view)
    def answer(request, *args, **kwargs):
        try:
            _wall_member(request)
            return view(request, *args, **kwargs)
        except Layout.DoesNotExist:
            return JsonResponse({"detail": "Not found."}, status=404)
        except jsonlimits.JSONRefused as error:
            return JsonResponse({"detail": str(error)}, status=400)
        except PermissionDenied as error:
            return _json_error(error, 403)
        except ValidationError as error:
            return _json_error(error, 400)

    return answer


def _json_object(request) -> dict:
    """The request's JSON object; no body is an empty one."""
    body = jsonlimits.request_json(request, empty={})
    if not isinstance(body, dict):
        raise ValidationError("Send a JSON object.")
    return body


@login_required
@require_http_methods(["GET", "POST"])
@wall_json
def layouts(request):
    """GET: the user's layouts and the agency's shared ones. POST: save one by name."""
    if request.method == "GET":
        return JsonResponse({"layouts": [layout.as_dict() for layout in services.layouts_for(request.user)]})
    body = _json_object(request)
    shared = body.get("shared", False)
    if not isinstance(shared, bool):
        raise ValidationError({"shared": ["Shared is true or false."]})
    layout = services.do_save_layout(
        request.user, name=body.get("name"), grid=body.get("grid"), tiles=body.get("tiles", []), shared=shared
    )
    return JsonResponse(layout.as_dict(), status=201)


@login_required
@require_http_methods(["DELETE"])
@wall_json
def layout_detail(request, layout_id: int):
    services.do_delete_layout(request.user, services.editable_layout(request.user, layout_id))
    return HttpResponse(status=204)


@login_required
@require_POST
@wall_json
def layout_push(request, layout_id: int):
    """Send a layout to every wall of the agency, under a name and until it expires."""
    layout = services.editable_layout(request.user, layout_id)
    # The options are optional: a POST with no JSON body pushes under the layout's name for 12 hours.
    body = _json_object(request) if request.content_type == "application/json" else {}
    push = services.do_push_layout(
        request.user, layout, name=body.get("name"), minutes=body.get("expires_in_minutes")
    )
    return JsonResponse(push.as_dict(), status=201)


@login_required
@require_http_methods(["GET", "PUT", "DELETE"])
@wall_json
def wall_purpose(request):
    """The wall's working purpose for this sign-in: read (GET), state (PUT) or end (DELETE)."""
    if request.method == "GET":
        return JsonResponse({"purpose": current_wall_purpose(request)})
    if request.method == "DELETE":
        do_clear_wall_purpose(request)
        return HttpResponse(status=204)
    purpose = do_set_wall_purpose(request, jsonlimits.request_json(request, empty={}))
    return JsonResponse({"purpose": purpose})

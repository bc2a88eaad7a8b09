from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from agencies.access import membership_of


def home(request):
    """Send each person to their own part of the system."""
    if request.user.is_authenticated:
        if membership_of(request.user) is not None:
            return redirect("wall")
        if request.user.is_staff:
            return redirect("admin:index")
        return redirect("portal")
    return render(request, "home.html")


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": "Internal error; it has been logged."}, status=500)
    return render(request, "500.html", status=500)

import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from agencies.access import membership_of
from agencies.models import Membership
from rtcc.csp import describe_violations

csp_log = logging.getLogger("rtcc.csp")


def home(request):
    """Send each person to their own part of the system."""
    if request.user.is_authenticated:
        membership = membership_of(request.user)
        if membership is not None:
            # Oversight watches no video: its place is the audit, not the wall's 403.
            return redirect("oversight" if membership.role == Membership.Role.OVERSIGHT else "wall")
        if request.user.is_staff:
            return redirect("admin:index")
        return redirect("portal")
    return render(request, "home.html")


@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@csrf_exempt  # browsers post reports without a token, and nothing changes here but a log line
@require_POST
def csp_report(request):
    """What the Content-Security-Policy refused in someone's browser: one warning line per violation."""
    try:
        lines = describe_violations(request.body)
    except ValueError as error:
        return JsonResponse({"detail": str(error)}, status=400)
    for line in lines:
        csp_log.warning("Content-Security-Policy violation: %s", line)
    return HttpResponse(status=204)


def csrf_failure(request, reason=""):
    """A refused form post, on the site's own 403 page: Django's default one carries inline style."""
    if _wants_json(request):
        return JsonResponse({"detail": f"CSRF check failed: {reason}"}, status=403)
    message = "This form is too old or came from another site. Go back, reload the page and send it again."
    return render(request, "403.html", {"exception": message}, status=403)


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

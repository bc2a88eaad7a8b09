"""Every request of a signed-in session passes here: its limits, its activity, its second factor."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from agencies.signin import sessions
from agencies.signin.mfa import mfa_required

LAPSE_MESSAGES = {
    "idle": "You were signed out after {minutes} minutes without activity. Sign in again.",
    "expired": "Your sign-in reached its limit of {hours} hours. Sign in again.",
}
ACTIVITY_PATH = "/accounts/activity/"
# A signed live link is its own credential: its token names the user and every request is
# authorised against the hub's state (cameras/media/). The session's limits apply where such
# links are issued and renewed, the API; reading the session here would cost two queries on
# every video segment of every wall tile.
SIGNED_MEDIA_PATH = "/media/live/"
# What a session that still owes its authenticator code may open.
OPEN_BEFORE_CODE = ["/accounts/authenticator/", "/accounts/logout/", "/accounts/activity/", "/static/"]


def is_activity_ping(request) -> bool:
    return request.path == ACTIVITY_PATH and request.method == "POST"


def counts_as_activity(request) -> bool:
    """Did the person open a page or send a form? (The idle module's ping is counted apart.)

    Requests a page makes by itself (snapshots, video, fetches) carry a Sec-Fetch-Mode other than
    "navigate" and do not keep a session alive; a client that sends no such header is taken at its word.
    """
    if request.path == ACTIVITY_PATH or request.path.startswith("/media/"):
        return False
    return request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate"


class SignInPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.check(request) or self.get_response(request)

    def check(self, request):
        if request.path.startswith(SIGNED_MEDIA_PATH):
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        lapse = sessions.lapse(request.session)
        if lapse is not None:
            # Not a sign-out: the person's other sessions and tokens stay; this one is over.
            request.session.flush()
            request.user = AnonymousUser()
            minutes, hours = sessions.idle_seconds() // 60, sessions.session_hours()
            messages.info(request, LAPSE_MESSAGES[lapse].format(minutes=minutes, hours=hours))
            return None
        if is_activity_ping(request):
            sessions.touch(request.session, every_s=0)  # the person moved: the warning must go now
        elif counts_as_activity(request):
            sessions.touch(request.session)
        if mfa_required(user) and not user.is_verified():
            return self.refuse_until_code(request)
        return None

    def refuse_until_code(self, request):
        if any(request.path.startswith(path) for path in OPEN_BEFORE_CODE):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Give the code of your authenticator app first, at /accounts/authenticator/."},
                status=403,
            )
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(reverse("authenticator") + (f"?{query}" if query else ""))

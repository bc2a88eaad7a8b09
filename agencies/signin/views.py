"""Sign-in pages: password and code in one form, authenticator enrolment, activity, password reset."""

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from agencies.access import membership_of
from agencies.signin import lockout, sessions
from agencies.signin.forms import CappedPasswordResetForm, CodeForm, SignInForm
from agencies.signin.mfa import has_authenticator, mfa_forced, pending_device, qr_svg, readable_secret
from agencies.signin.services import do_confirm_authenticator, do_verify_session
from rtcc.api import ClientRateThrottle
from rtcc.client import client_address
from rtcc.ratelimit import over_limit

RESETS_PER_CLIENT_PER_HOUR = 10
TOO_MANY = "Too many tries from your network. Wait a minute and try again."


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        # The same per-client budget as the token endpoint: one client cannot spray many accounts.
        if not ClientRateThrottle().allow_request(request, self):
            form = self.get_form_class()(request)
            return self.render_to_response(self.get_context_data(form=form, refusal=TOO_MANY), status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = CappedPasswordResetForm

    def form_valid(self, form):
        key = f"password-reset-client:{client_address(self.request) or 'unknown'}"
        if over_limit(key, RESETS_PER_CLIENT_PER_HOUR, 3600):
            form.add_error(
                None, "Too many reset requests from your network in the last hour. Try again later."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the sign-in page, or JSON for the API, saying until when; 429."""
    # Axes passes its arguments in two orders depending on the request's mode: read the request.
    username = get_client_username(request, getattr(request, "axes_credentials", None))
    until = lockout.locked_until(username) or timezone.now() + lockout.LOCK
    message = lockout.lockout_message(until)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "locked_until": until.isoformat()}, status=429)
    else:
        form = SignInForm(request, initial={"username": username})
        context = {"form": form, "refusal": message, "next": request.POST.get("next", "")}
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
    return response


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return "/wall/" if membership_of(request.user) is not None else "/"


@login_required
@require_http_methods(["GET", "POST"])
def authenticator(request):
    """Enrol an authenticator (scan, then confirm with a code), or give the code this session owes."""
    user = request.user
    enrolled = has_authenticator(user)
    if enrolled and user.is_verified():
        return render(request, "registration/authenticator.html", {"enrolled": True})
    device = None if enrolled else pending_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            if device is not None:
                do_confirm_authenticator(request, device, form.cleaned_data["code"])
                messages.success(request, "Your authenticator app is set up. Sign-ins now ask for its code.")
            else:
                do_verify_session(request, form.cleaned_data["code"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error("code", error.messages if isinstance(error, ValidationError) else str(error))
        else:
            return redirect(_next_url(request))
    context = {
        "form": form,
        "enrolled": enrolled,
        "forced": mfa_forced(user),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    if device is not None:
        context.update(qr_svg=qr_svg(device), secret=readable_secret(device))
    return render(request, "registration/authenticator.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def activity(request):
    """How long this session has before the idle lock; a POST (the person did something) resets it."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0})
    return JsonResponse(
        {
            "signed_in": True,
            "seconds_left": sessions.seconds_left(request.session),
            "warning_seconds": settings.RTCC_IDLE_WARNING_SECONDS,
        }
    )

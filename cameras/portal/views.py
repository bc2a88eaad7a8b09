"""The resident portal's pages. Each parses a form, calls one service, and shows the result."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Agency
from agencies.services import client_ip
from cameras.consent import live_refusal, streams_through_device
from cameras.footage.models import FootageRequest
from cameras.footage.services import do_answer_footage_request, do_expire_lapsed_requests
from cameras.models import Camera, Consent
from cameras.portal import forms
from cameras.portal import services as owner_services
from cameras.premises import policy_conflicts, premises_refusal
from cameras.relay.snapshots import fresh_snapshot
from cameras.services import do_revoke_consent, do_set_consent
from cameras.sharing.rules import agencies_with_access

RECEIPTS_SHOWN = 500
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def describe_limits(consent, tz) -> str:
    """A consent's limits in words, for the owner's history."""
    parts = []
    for window in consent.schedule:
        days = window["days"]
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            named = f"{DAY_NAMES[days[0]]}\u2013{DAY_NAMES[days[-1]]}"
        else:
            named = ", ".join(DAY_NAMES[day] for day in days)
        parts.append(f"{named} {window['start']}\u2013{window['end']}")
    if consent.expires_at:
        parts.append(f"until {consent.expires_at.astimezone(tz):%Y-%m-%d %H:%M}")
    if consent.incident_radius_m:
        parts.append(f"only during incidents within {consent.incident_radius_m} m")
    return "; ".join(parts)


def own_camera(request, pk) -> Camera:
    """The signed-in owner's camera, or 404 for anyone else's: existence is not revealed."""
    return get_object_or_404(Camera.objects.select_related("agency", "device"), pk=pk, owner=request.user)


def map_context() -> dict:
    agency = Agency.objects.order_by("pk").first()
    centre = [agency.lat, agency.lon] if agency else [0, 0]
    return {"tile_url": settings.RTCC_MAP_TILE_URL, "centre_json": json.dumps(centre)}


def portal(request):
    """Public landing page; for a signed-in owner, their cameras and what each shares."""
    if not request.user.is_authenticated:
        return render(request, "cameras/portal.html", {"cameras": []})
    cameras = list(
        Camera.objects.filter(owner=request.user).with_consent().select_related("agency", "device")
    )
    conflicts = policy_conflicts(cameras)
    for camera in cameras:
        camera.policy_conflict = conflicts.get(camera.pk, "")
    pending = FootageRequest.objects.filter(
        camera__owner=request.user, status=FootageRequest.Status.PENDING, answer_by__gt=timezone.now()
    ).count()
    return render(request, "cameras/portal.html", {"cameras": cameras, "pending_requests": pending})


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("portal")
    form = forms.SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            owner_services.do_sign_up(
                form.cleaned_data["email"],
                form.cleaned_data["password1"],
                confirm_url=lambda token: request.build_absolute_uri(reverse("portal-confirm", args=[token])),
                source_ip=client_ip(request),
            )
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            return redirect("portal-sign-up-sent")
    return render(request, "portal/sign_up.html", {"form": form})


@require_GET
def sign_up_sent(request):
    return render(request, "portal/sign_up_sent.html")


def confirm_sign_up(request, token):
    if request.method != "POST":
        # A mail scanner that follows links must not activate the account: confirming is a button.
        return render(request, "portal/confirm.html", {"token": token})
    try:
        user = owner_services.do_confirm_sign_up(token)
    except ValidationError as error:
        return render(
            request, "portal/confirm.html", {"token": token, "error": " ".join(error.messages)}, status=400
        )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Your account is confirmed. Register your first camera.")
    return redirect("portal-camera-new")


@login_required
def camera_new(request):
    form = forms.CameraForm(request.POST if request.method == "POST" else None, owner=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            camera = owner_services.do_register_camera(request.user, request=request, **data)
        except ValidationError as error:
            forms.add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{camera.name} is registered with {camera.agency.name}: they know where it is, nothing more.",
            )
            return redirect("portal-camera", pk=camera.pk)
    return render(request, "portal/camera_form.html", {"form": form, **map_context()})


@login_required
def camera_detail(request, pk):
    """The consent page: what the camera shares, under which limits, and every change so far."""
    camera = own_camera(request, pk)
    consent = camera.current_consent()
    if request.method == "POST":
        form = forms.ConsentForm(request.POST, camera=camera)
        if form.is_valid():
            try:
                do_set_consent(
                    request.user,
                    camera,
                    form.cleaned_data["level"],
                    schedule=form.schedule,
                    expires_at=form.expires_at,
                    incident_radius_m=form.cleaned_data["incident_radius_m"],
                    relay_mode=form.cleaned_data["relay_mode"] or None,
                    request=request,
                )
            except ValidationError as error:
                forms.add_service_errors(form, error)
            else:
                messages.success(request, "Saved. The new consent is in force now.")
                return redirect("portal-camera", pk=camera.pk)
    else:
        form = forms.ConsentForm(initial=forms.ConsentForm.initial_for(consent, camera), camera=camera)
    history = list(camera.consents.all())
    for row in history:
        row.limits = describe_limits(row, camera.tz)
    return render(
        request,
        "portal/camera.html",
        {
            "camera": camera,
            "consent": consent,
            "form": form,
            "history": history,
            "limits": describe_limits(consent, camera.tz) if consent else "",
            # The relay fleet's own answer, so the owner reads what the hub will actually do.
            "live_refusal": live_refusal(camera) if consent and consent.level == Consent.Level.LIVE else None,
            "can_stream_live": streams_through_device(camera),
            "mask_count": camera.privacy_masks.count(),
            # Counted from the rows that give access, never declared.
            "agencies_with_access": list(agencies_with_access(Camera.objects.filter(pk=camera.pk))),
            "policy_conflict": premises_refusal(camera, consent.level) if consent else "",
            # Said before the owner chooses, not only once a choice is refused.
            "live_forbidden": premises_refusal(camera, Consent.Level.LIVE),
        },
    )


@login_required
@require_POST
def camera_revoke(request, pk):
    camera = own_camera(request, pk)
    do_revoke_consent(request.user, camera, request=request)
    messages.success(request, f"Revoked: {camera.name} shares nothing from now on.")
    return redirect("portal-camera", pk=camera.pk)


@login_required
def camera_masks(request, pk):
    camera = own_camera(request, pk)
    form = forms.MaskForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            owner_services.do_save_privacy_masks(
                request.user, camera, form.cleaned_data["masks"], request=request
            )
        except ValidationError as error:
            form.add_error("masks", error.messages)
        else:
            messages.success(
                request,
                "Masks saved. The relay applies them from its next start, before any picture leaves the hub.",
            )
            return redirect("portal-camera-masks", pk=camera.pk)
    masks = [
        {"x": mask.x, "y": mask.y, "width": mask.width, "height": mask.height, "label": mask.label}
        for mask in camera.privacy_masks.all()
    ]
    return render(
        request,
        "portal/masks.html",
        {
            "camera": camera,
            "form": form,
            "masks": masks,
            "has_snapshot": fresh_snapshot(camera.pk) is not None,
        },
    )


@login_required
@require_GET
def camera_snapshot(request, pk):
    camera = own_camera(request, pk)
    path = fresh_snapshot(camera.pk)
    if path is None:
        raise Http404("No snapshot yet.")
    response = FileResponse(open(path, "rb"), content_type="image/jpeg")  # noqa: SIM115 -- closed by Django
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def camera_delete(request, pk):
    camera = own_camera(request, pk)
    form = forms.DeleteCameraForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = camera.name
        owner_services.do_delete_camera(request.user, camera, request=request)
        messages.success(request, f"{name} is deleted. Sharing stopped and its footage is erased.")
        return redirect("portal")
    return render(request, "portal/camera_delete.html", {"camera": camera, "form": form})


@login_required
def requests_inbox(request):
    do_expire_lapsed_requests()
    requests = (
        FootageRequest.objects.filter(camera__owner=request.user)
        .select_related("agency", "camera")
        .prefetch_related("exports")
    )
    return render(request, "portal/requests.html", {"requests": requests})


@login_required
@require_POST
def request_answer(request, pk):
    footage_request = get_object_or_404(
        FootageRequest.objects.select_related("camera", "agency"), pk=pk, camera__owner=request.user
    )
    form = forms.AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or decline.")
        return redirect("portal-requests")
    approve = form.cleaned_data["answer"] == "approve"
    try:
        footage_request = do_answer_footage_request(
            request.user, footage_request, approve=approve, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal-requests")
    if not approve:
        messages.success(request, f"Declined. {footage_request.agency.name} is told no, and gets nothing.")
    elif footage_request.note:
        messages.warning(request, f"Approved, but no clip was made: {footage_request.note}")
    else:
        messages.success(request, f"Approved. The clip is ready for {footage_request.agency.name}.")
    return redirect("portal-requests")


def readable_duration(span) -> str:
    """A look's length as a person reads it, to the second at most: "1 h 5 min", "8 min 36 s", "40 s"."""
    seconds = max(0, round(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


@login_required
@require_GET
def receipts(request):
    now = timezone.now()
    sessions = list(owner_services.receipt_sessions(request.user)[:RECEIPTS_SHOWN])
    for session in sessions:
        session.duration = readable_duration(
            (session.ended_at or min(now, session.expires_at)) - session.started_at
        )
    names = dict(Camera.objects.filter(owner=request.user).values_list("pk", "name"))
    events = [
        owner_services.event_row(event, request.user)
        | {"event": event, "camera_name": names.get(int(event.target_id))}
        for event in owner_services.receipt_events(request.user).exclude(actor=request.user)[:RECEIPTS_SHOWN]
    ]
    return render(request, "portal/receipts.html", {"sessions": sessions, "events": events})


@login_required
def data_rights(request):
    form = forms.DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        owner_services.do_delete_account(request.user, request=request)
        # The user row is gone; the session must go with it.
        request.session.flush()
        return render(request, "portal/account_deleted.html")
    return render(request, "portal/data.html", {"form": form})


@login_required
@require_GET
def data_export(request):
    document = owner_services.export_my_data(request.user)
    response = HttpResponse(json.dumps(document, indent=2), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="my-openrtcc-data.json"'
    return response

"""The resident's side of an edge box: claiming it in the portal, and seeing how it is doing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from cameras.portal.forms import add_service_errors
from devices.forms import ClaimForm
from devices.models import Device
from devices.pause import do_owner_switch
from devices.services import do_claim_device


@login_required
def device_claim(request):
    if request.method == "POST":
        form = ClaimForm(request.POST)
    else:
        # The QR code on a label links here with both filled in; the owner only confirms.
        initial = {
            "serial": request.GET.get("serial", "")[:64],
            "claim_code": request.GET.get("code", "")[:64],
        }
        form = ClaimForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            device = do_claim_device(
                request.user, form.cleaned_data["serial"], form.cleaned_data["claim_code"], request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            count = device.cameras.filter(owner=request.user).count()
            messages.success(
                request,
                f"Device {device.serial} is yours, with {count} camera(s). "
                "None is shared until you choose, camera by camera.",
            )
            return redirect("portal")
    return render(request, "portal/claim.html", {"form": form})


@login_required
def device_list(request):
    devices = (
        Device.objects.filter(owner=request.user)
        .exclude(state=Device.State.RETIRED)
        .prefetch_related("cameras")
        .order_by("serial")
    )
    rows = []
    for device in devices:
        names = {str(camera.pk): camera.name for camera in device.cameras.all()}
        health = [
            {"frames": None, "bitrate_kbps": None, "errors": None, **report, "name": names.get(camera_id, "")}
            for camera_id, report in sorted(device.camera_health.items(), key=lambda item: int(item[0]))
        ]
        rows.append({"device": device, "health": health})
    return render(request, "portal/devices.html", {"rows": rows})


@login_required
@require_POST
def device_switch(request, serial: str, action: str):
    """The owner's pause button: the box stops every push and upload until resumed."""
    # Only the owner's own boxes are found: another's is a 404, not a hint that it exists.
    device = get_object_or_404(Device, serial=serial, owner=request.user)
    try:
        do_owner_switch(request.user, device, pause=action == "pause", request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{device.serial} is paused: it sends nothing until you resume it."
            if action == "pause"
            else f"{device.serial} is resumed.",
        )
    return redirect("portal-devices")

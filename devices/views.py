"""The resident's side of an edge box: claiming it in the portal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from cameras.portal.forms import add_service_errors
from devices.forms import ClaimForm
from devices.services import do_claim_device


@login_required
def device_claim(request):
    form = ClaimForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = do_claim_device(
                request.user, form.cleaned_data["serial"], form.cleaned_data["claim_code"], request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            count = device.cameras.filter(owner=request.user).count()
            messages.success(request, f"Device {device.serial} is yours, with {count} camera(s).")
            return redirect("portal")
    return render(request, "portal/claim.html", {"form": form})

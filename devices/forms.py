from django import forms
from django.contrib.admin.helpers import ActionForm

from agencies.models import Agency
from devices.models import Device
from devices.stock import MAX_BATCH


class ClaimForm(forms.Form):
    serial = forms.CharField(label="Serial number", max_length=64)
    claim_code = forms.CharField(
        label="Claim code", max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class StockBatchForm(forms.Form):
    """The admin's add-device page: one serial or a whole delivery, each given a claim code."""

    model = forms.CharField(max_length=64, initial="rtcc-edge", help_text="The box's model, as on its case.")
    serials = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "autocomplete": "off"}),
        max_length=MAX_BATCH * 66,
        help_text=f"One serial number per line (or separated by commas or spaces), at most {MAX_BATCH}.",
    )
    agency = forms.ModelChoiceField(queryset=Agency.objects.order_by("name"), required=False)

    def __init__(self, *args, superuser: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if superuser:
            self.fields["agency"].required = True
        else:
            # An agency admin stocks their own agency; the field is not theirs to set.
            del self.fields["agency"]

    def serial_list(self) -> list[str]:
        return self.cleaned_data["serials"].replace(",", " ").split()


class DeviceActionForm(ActionForm):
    """The admin's action bar, with what the "assign" action records."""

    delivery = forms.ChoiceField(
        choices=[("", "How it is handed over…"), *Device.Delivery.choices], required=False
    )
    recipient = forms.CharField(
        max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Recipient"})
    )

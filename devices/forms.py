from django import forms


class ClaimForm(forms.Form):
    serial = forms.CharField(label="Serial number", max_length=64)
    claim_code = forms.CharField(
        label="Claim code", max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

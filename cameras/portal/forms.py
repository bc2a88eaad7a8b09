from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError

from cameras.consent import check_live_possible
from cameras.models import Camera, Consent
from rtcc import jsonlimits

# The edge-device model, reached through the camera's foreign key: devices build on cameras, not the reverse.
Device = Camera._meta.get_field("device").related_model

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form fields it names, the rest on the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class SignUpForm(forms.Form):
    email = forms.EmailField(max_length=150, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        email, first, second = data.get("email"), data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first and email:
            probe = get_user_model()(username=email.lower(), email=email.lower())
            try:
                password_validation.validate_password(first, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class CameraForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="For you, for example \u201cFront porch\u201d.")
    description = forms.CharField(
        label="What it sees",
        max_length=300,
        required=False,
        help_text="One sentence: the street, a car park\u2026",
    )
    premises = forms.ChoiceField(
        label="Where is it?",
        choices=Camera.Premises.choices,
        widget=forms.RadioSelect,
        initial=Camera.Premises.SINGLE_FAMILY,
        help_text="Some agencies' rules limit what they take from homes; the answer decides what you may share.",
    )
    address = forms.CharField(max_length=300, required=False)
    lat = forms.FloatField(label="Latitude", min_value=-90, max_value=90, required=False)
    lon = forms.FloatField(label="Longitude", min_value=-180, max_value=180, required=False)
    device = forms.ModelChoiceField(
        queryset=Device.objects.none(),
        required=False,
        empty_label="No device (registry and footage on request only)",
        help_text="A camera can be shared live only through an edge device you have claimed.",
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = Device.objects.filter(owner=owner).exclude(
            state=Device.State.RETIRED
        )

    def clean(self):
        data = super().clean()
        if not self.has_error("lat") and not self.has_error("lon"):
            if data.get("lat") is None or data.get("lon") is None:
                self.add_error(
                    "lat", "Pick the camera's place on the map, or type its latitude and longitude."
                )
        return data


class ConsentForm(forms.Form):
    level = forms.ChoiceField(
        choices=[
            (Consent.Level.REGISTRY, "Registry: the police know where the camera is, and may contact you"),
            (Consent.Level.ON_REQUEST, "On request: the police may ask for footage; you answer each request"),
            (Consent.Level.LIVE, "Live: the police may watch while your rules below allow"),
        ],
        widget=forms.RadioSelect,
    )
    days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Only on"
    )
    start_time = forms.TimeField(required=False, label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(required=False, label="Until", widget=forms.TimeInput(attrs={"type": "time"}))
    expires_on = forms.DateField(
        required=False,
        label="Stop sharing after",
        help_text="The last day included, in the camera's time zone. Empty: until you change it.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    incident_radius_m = forms.IntegerField(
        required=False,
        min_value=10,
        max_value=10_000,
        label="Only during an incident within (metres)",
        help_text="Empty: at any time the schedule allows.",
    )
    relay_mode = forms.ChoiceField(
        choices=[
            (
                Camera.RelayMode.ON_DEMAND,
                "Send video only while the agency is watching (nothing is kept at the hub)",
            ),
            (Camera.RelayMode.CONTINUOUS, "Let the agency record continuously while live sharing allows"),
        ],
        widget=forms.RadioSelect,
        required=False,  # not offered for a camera that cannot stream live: unchanged
        initial=Camera.RelayMode.ON_DEMAND,
        label="When live sharing is on",
    )

    def __init__(self, *args, camera: Camera, **kwargs):
        super().__init__(*args, **kwargs)
        self.camera = camera

    def clean(self):
        data = super().clean()
        days, start, end = data.get("days"), data.get("start_time"), data.get("end_time")
        if days or start or end:
            if not days:
                self.add_error("days", "Tick the days the schedule holds on.")
            if start is None or end is None:
                self.add_error("end_time", "Give both a start and an end time, or leave both empty.")
            elif start == end:
                self.add_error("end_time", "Start and end are the same time.")
        try:
            check_live_possible(self.camera, data.get("level"))
        except ValidationError as error:
            add_service_errors(self, error)
        return data

    @property
    def schedule(self) -> list:
        data = self.cleaned_data
        if not data.get("days"):
            return []
        return [
            {
                "days": sorted(data["days"]),
                "start": data["start_time"].strftime("%H:%M"),
                "end": data["end_time"].strftime("%H:%M"),
            }
        ]

    @property
    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=self.camera.tz)

    @classmethod
    def initial_for(cls, consent: Consent | None, camera: Camera) -> dict:
        if consent is None or consent.level == Consent.Level.NONE:
            return {"level": Consent.Level.REGISTRY, "relay_mode": camera.relay_mode}
        initial = {
            "level": consent.level,
            "incident_radius_m": consent.incident_radius_m,
            "relay_mode": camera.relay_mode,
        }
        if consent.schedule:
            window = consent.schedule[0]
            initial.update(days=window["days"], start_time=window["start"], end_time=window["end"])
        if consent.expires_at:
            initial["expires_on"] = (consent.expires_at.astimezone(camera.tz) - timedelta(seconds=1)).date()
        return initial


class MaskForm(forms.Form):
    masks = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_masks(self):
        text = self.cleaned_data["masks"] or "[]"
        try:
            value = jsonlimits.loads(text)
        except jsonlimits.JSONRefused:
            raise ValidationError("The masks could not be read; draw them again.") from None
        return value


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("approve", "Approve"), ("decline", "Decline")])


class DeleteCameraForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand: sharing stops, the snapshot and recordings are deleted. "
        "Clips already delivered for a case are kept."
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your password.")
        return password

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.core.mail import send_mail

from agencies.signin.services import AccountLocked, check_second_factor
from rtcc.ratelimit import over_limit

RESET_MAILS_PER_ADDRESS_PER_HOUR = 3


def code_field(**kwargs) -> forms.CharField:
    return forms.CharField(
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
        **kwargs,
    )


class SignInForm(AuthenticationForm):
    """Username, password and, for an account with an authenticator, its code: all in one POST."""

    otp_token = code_field(
        label="Authenticator code",
        required=False,
        help_text="The 6-digit code from your authenticator app. Every agency account has one.",
    )

    def clean(self):
        try:
            super().clean()
            if self.user_cache is not None:
                device = check_second_factor(
                    self.request, self.user_cache, self.cleaned_data.get("otp_token")
                )
                if device is not None:
                    # django-otp marks the session verified when it sees this at sign-in.
                    self.user_cache.otp_device = device
        except AccountLocked as locked:
            raise ValidationError(str(locked), code="locked") from None
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(
                    str(AccountLocked(self.cleaned_data.get("username"))), code="locked"
                ) from None
            raise
        return self.cleaned_data


class CodeForm(forms.Form):
    code = code_field(label="Code from your authenticator app")


class CappedPasswordResetForm(PasswordResetForm):
    """Django's reset form, that mails every address the same way and at most three times an hour.

    An address with no account gets a mail saying so, so that the page, its timing and the work
    done are the same whether or not an account exists.
    """

    def save(self, *args, **kwargs):
        email = self.cleaned_data["email"]
        if over_limit(
            f"password-reset-address:{email.strip().lower()}", RESET_MAILS_PER_ADDRESS_PER_HOUR, 3600
        ):
            return
        if any(True for _ in self.get_users(email)):
            super().save(*args, **kwargs)
            return
        send_mail(
            "Password reset for OpenRTCC",
            "Someone (maybe you) asked to reset the password of an OpenRTCC account with this address, "
            "but no active account uses it. If you have an account, it may be under another address.\n\n"
            "If you did not ask, ignore this message.",
            kwargs.get("from_email"),
            [email],
        )

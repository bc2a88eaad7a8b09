"""The second factor: a TOTP authenticator app (django-otp).

Every agency user, and everyone who can open the admin, must use one: they enrol at their
first sign-in and cannot reach anything else until they have. A resident may enrol from the
portal; once they have, their sign-in asks for the code too.
"""

from base64 import b32encode

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.access import membership_of
from rtcc import qr

DEVICE_NAME = "Authenticator app"


def confirmed_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True)


def has_authenticator(user) -> bool:
    return confirmed_devices(user).exists()


def mfa_forced(user) -> bool:
    """Must this person enrol an authenticator? Everyone with an agency role or admin rights."""
    return membership_of(user) is not None or user.is_staff or user.is_superuser


def mfa_required(user) -> bool:
    """Does this person's sign-in need a code (or, before enrolling, lead only to enrolment)?"""
    return mfa_forced(user) or has_authenticator(user)


def matching_device(user, code: str) -> TOTPDevice | None:
    """The user's confirmed device that accepts `code` now, if any; a code is good once."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit():
        return None
    with transaction.atomic():
        # Locked: two requests with the same code cannot both pass.
        for device in confirmed_devices(user).select_for_update():
            if device.verify_token(code):
                return device
    return None


def pending_device(user) -> TOTPDevice:
    """The device being enrolled: made once, shown until its first code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code: no image request, no third party."""
    return qr.qr_svg(device.config_url)


def readable_secret(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

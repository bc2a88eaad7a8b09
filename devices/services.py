"""Side effects of the devices domain: an owner claims the edge box they bought or received."""

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import AccessEvent
from agencies.services import do_delete_record, do_record_access
from cameras.media.authorization_cache import bump_on_commit, camera_scope
from cameras.models import Camera
from devices.models import Device

# Claim codes are short enough to type, so guesses are limited per person and per serial.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_SERIAL = 10
FAILURE_WINDOW_S = 15 * 60
WRONG = "The serial number or the claim code is not right. Check the label on the device."
# Checked when the serial is unknown, so that an unknown serial costs as long as a wrong code.
_DUMMY_HASH = make_password("not-a-claim-code")


def _failure_keys(user, serial: str) -> tuple[str, str]:
    return f"device-claim:user:{user.pk}", f"device-claim:serial:{serial.upper()}"


def check_claim_allowed(user, serial: str) -> None:
    user_key, serial_key = _failure_keys(user, serial)
    if (cache.get(user_key) or 0) >= MAX_FAILURES_PER_USER or (cache.get(serial_key) or 0) >= (
        MAX_FAILURES_PER_SERIAL
    ):
        raise ValidationError(
            "Too many wrong attempts. Wait 15 minutes, then try again with the code on the label."
        )


def _count_failure(user, serial: str) -> None:
    for key in _failure_keys(user, serial):
        cache.add(key, 0, FAILURE_WINDOW_S)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, FAILURE_WINDOW_S)


def do_claim_device(user, serial: str, claim_code: str, *, request=None) -> Device:
    """Make `user` the owner of the device and of its cameras, if the claim code matches."""
    serial = (serial or "").strip()
    claim_code = (claim_code or "").strip()
    if not serial or not claim_code:
        raise ValidationError("Enter both the serial number and the claim code.")
    check_claim_allowed(user, serial)
    device = Device.objects.filter(serial__iexact=serial).first()
    code_ok = (
        device.check_claim_code(claim_code)
        if device
        else Device(claim_code_hash=_DUMMY_HASH).check_claim_code(claim_code)
    )
    claimable = (
        device is not None
        and code_ok
        and device.state != Device.State.RETIRED
        and device.owner_id in (None, user.pk)
    )
    if not claimable:
        _count_failure(user, serial)
        do_record_access(
            user,
            AccessEvent.Action.CAMERA_CHANGE,
            device,
            request=request,
            outcome=AccessEvent.Outcome.DENIED,
            detail={"change": "device_claim", "serial": serial[:64]},
        )
        raise ValidationError(WRONG)
    with transaction.atomic():
        # Conditional update: of two people with the same label, only the first one claims it.
        claimed = (
            Device.objects.filter(pk=device.pk, owner__isnull=True)
            .exclude(state=Device.State.RETIRED)
            .update(owner=user)
        )
        if not claimed and device.owner_id != user.pk:
            raise ValidationError(WRONG)
        Device.objects.filter(pk=device.pk, state=Device.State.STOCK).update(state=Device.State.CLAIMED)
        device.refresh_from_db()
        # The box's unclaimed cameras become the claimant's; an agency camera on it stays the agency's.
        claimed_cameras = device.cameras.filter(kind=Camera.Kind.UNOWNED)
        # An UPDATE sends no post_save: a new owner voids the cameras' stored media decisions here.
        bump_on_commit(*(camera_scope(pk) for pk in claimed_cameras.values_list("pk", flat=True)))
        claimed_cameras.update(owner=user, kind=Camera.Kind.PRIVATE)
        do_record_access(
            user,
            AccessEvent.Action.CAMERA_CHANGE,
            device,
            agency=device.agency,
            request=request,
            detail={"change": "device_claimed", "cameras": list(device.cameras.values_list("pk", flat=True))},
        )
    return device


def do_delete_device(actor, device: Device, *, request=None) -> None:
    """Remove a box from the admin; a claimed box is its owner's, so only boxes in stock (or the platform)."""
    if not actor.is_superuser and device.owner_id is not None:
        raise PermissionDenied("A claimed device belongs to its owner.")
    do_delete_record(actor, device, request=request)

"""Side effects of the devices domain: an owner claims the edge box they bought or received."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from agencies.models import AccessEvent
from agencies.services import do_delete_record, do_record_access
from cameras.media.authorization_cache import bump_on_commit, camera_scope
from cameras.models import Camera
from devices.models import Device, new_claim_code
from devices.states import do_change_state
from rtcc import ratelimit

# Claim codes are short enough to type, so guesses are limited per person and per serial.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_SERIAL = 10
FAILURE_WINDOW_S = 15 * 60
WRONG = "The serial number or the claim code is not right. Check the label on the device."
TOO_MANY = "Too many wrong attempts. Wait 15 minutes, then try again with the code on the label."
# Checked when the serial is unknown, so that an unknown serial costs as long as a wrong code.
_DUMMY = Device()
_DUMMY.set_claim_code(new_claim_code())


class ClaimLimited(ValidationError):
    """Too many wrong claim codes lately, from this person or for this serial."""


def _failure_keys(user, serial: str) -> tuple[str, str]:
    return f"device-claim:user:{user.pk}", f"device-claim:serial:{serial.upper()}"


def check_claim_allowed(user, serial: str) -> None:
    user_key, serial_key = _failure_keys(user, serial)
    if (
        ratelimit.hits(user_key) >= MAX_FAILURES_PER_USER
        or ratelimit.hits(serial_key) >= MAX_FAILURES_PER_SERIAL
    ):
        raise ClaimLimited(TOO_MANY)


def _count_failure(user, serial: str) -> None:
    for key in _failure_keys(user, serial):
        ratelimit.count_hit(key, FAILURE_WINDOW_S)


def do_claim_device(user, serial: str, claim_code: str, *, request=None) -> Device:
    """Make `user` the owner of the device and of its cameras, if the claim code matches."""
    serial = (serial or "").strip()
    claim_code = (claim_code or "").strip()
    if not serial or not claim_code:
        raise ValidationError("Enter both the serial number and the claim code.")
    check_claim_allowed(user, serial)
    device = Device.objects.select_related("agency").filter(serial__iexact=serial).first()
    code_ok = (device or _DUMMY).check_claim_code(claim_code)
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
        device.refresh_from_db()
        # A box that enrolled before its owner claimed it stays online (or offline).
        do_change_state(device, Device.State.CLAIMED, actor=user, request=request)
        # The box's unclaimed cameras become the claimant's, with no consent yet: each waits for
        # the owner's decision. An agency camera on the box stays the agency's.
        claimed_cameras = device.cameras.filter(kind=Camera.Kind.UNOWNED)
        # An UPDATE sends no post_save: a new owner voids the cameras' stored media decisions here.
        bump_on_commit(*(camera_scope(pk) for pk in claimed_cameras.values_list("pk", flat=True)))
        claimed_cameras.update(owner=user, kind=Camera.Kind.PRIVATE)
        cameras = list(device.cameras.order_by("pk").values_list("pk", flat=True))
        detail = {"change": "device_claimed", "cameras": cameras}
        action = AccessEvent.Action.CAMERA_CHANGE
        do_record_access(user, action, device, agency=device.agency, request=request, detail=detail)
    return device


def do_delete_device(actor, device: Device, *, request=None) -> None:
    """Remove a box from the admin; a claimed box is its owner's, so only boxes in stock (or the platform)."""
    if not actor.is_superuser and device.owner_id is not None:
        raise PermissionDenied("A claimed device belongs to its owner.")
    do_delete_record(actor, device, request=request)

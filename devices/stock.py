"""An agency's stock of edge boxes: batches with claim codes, hand-over, new codes, retirement.

A claim code is shown once, when it is made (on the label sheet or in the API's answer);
only its keyed digest is stored, so a lost label means a new code, never a look-up.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Upper

from agencies.access import agency_of
from agencies.models import Agency
from devices.models import Device, new_claim_code
from devices.states import do_change_state, record_device_change

MAX_BATCH = 500
SERIAL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SERIAL_RULE = "Use 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit."


@dataclass(frozen=True)
class Label:
    """What one printed label carries; the claim code exists only here and on paper."""

    serial: str
    claim_code: str
    model: str


def clean_serials(serials: list[str]) -> list[str]:
    """The serials stripped, each valid and given once, or a ValidationError naming the bad ones."""
    cleaned = [serial.strip() for serial in serials if serial.strip()]
    if not cleaned:
        raise ValidationError("Give at least one serial number.")
    if len(cleaned) > MAX_BATCH:
        raise ValidationError(f"At most {MAX_BATCH} devices per batch; split the list.")
    bad = [serial for serial in cleaned if not SERIAL_PATTERN.match(serial)]
    if bad:
        raise ValidationError(f"Not a serial number: {', '.join(sorted(bad)[:5])}. {SERIAL_RULE}")
    seen, repeated = set(), set()
    for serial in cleaned:
        (repeated if serial.upper() in seen else seen).add(serial.upper())
    if repeated:
        raise ValidationError(f"Listed twice: {', '.join(sorted(repeated)[:5])}.")
    return cleaned


def stocking_agency(actor, agency: Agency | None = None) -> Agency:
    """The agency a batch goes to: the actor's own; only the platform names another."""
    own = agency_of(actor)
    if actor.is_superuser and agency is not None:
        return agency
    if own is None:
        raise PermissionDenied("Only an agency's admins add devices to its stock.")
    return own


@transaction.atomic
def do_stock_devices(actor, model: str, serials: list[str], *, agency=None, request=None) -> list[Label]:
    """Add boxes to the agency's stock, each with a fresh claim code, returned this once."""
    agency = stocking_agency(actor, agency)
    model = (model or "").strip() or "rtcc-edge"
    if len(model) > 64:
        raise ValidationError("A model name has at most 64 characters.")
    serials = clean_serials(serials)
    # Serials compare without case: a label read aloud has none.
    taken = set(
        Device.objects.annotate(upper_serial=Upper("serial"))
        .filter(upper_serial__in=[serial.upper() for serial in serials])
        .values_list("serial", flat=True)
    )
    if taken:
        raise ValidationError(f"Already registered: {', '.join(sorted(taken)[:5])}.")
    labels, devices = [], []
    for serial in serials:
        code = new_claim_code()
        device = Device(serial=serial, model=model, agency=agency, state=Device.State.STOCKED)
        device.set_claim_code(code)
        devices.append(device)
        labels.append(Label(serial, code, model))
    for device in Device.objects.bulk_create(devices):
        record_device_change(actor, device, "device_stocked", request=request, model=model)
    return labels


@transaction.atomic
def do_issue_claim_code(actor, device: Device, *, request=None) -> Label:
    """A new claim code for a box (a lost label, or re-admitting a box whose token was revoked)."""
    if device.state == Device.State.RETIRED:
        raise ValidationError("A retired device gets no new claim code.")
    code = new_claim_code()
    device.set_claim_code(code)
    device.token_revoked_at = None
    device.save(update_fields=["claim_code_hash", "token_revoked_at"])
    record_device_change(actor, device, "device_claim_code_issued", request=request)
    return Label(device.serial, code, device.model)


def do_assign_device(actor, device: Device, delivery: str, *, recipient: str = "", request=None) -> None:
    """Hand a box in stock over to a resident or business, recording how (sold, subsidised, given)."""
    if delivery not in Device.Delivery.values:
        raise ValidationError({"delivery": "Choose sold, subsidised or given."})
    recipient = (recipient or "").strip()
    if len(recipient) > 200:
        raise ValidationError({"recipient": "At most 200 characters."})
    changes = {"delivery": delivery, "recipient": recipient}
    if not do_change_state(
        device,
        Device.State.ASSIGNED,
        actor=actor,
        request=request,
        changes=changes,
        detail={"delivery": delivery},
    ):
        raise ValidationError(
            f"Only a device in stock can be assigned; {device.serial} is {device.get_state_display().lower()}."
        )


def do_retire_device(actor, device: Device, *, request=None) -> None:
    """Take a box out of service for good: its token stops working and it cannot enroll again."""
    if not do_change_state(
        device, Device.State.RETIRED, actor=actor, request=request, changes={"token_hash": None}
    ):
        raise ValidationError(f"{device.serial} is already retired.")

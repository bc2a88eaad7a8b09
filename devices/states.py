"""The one way a device changes state: a conditional UPDATE and an audit line.

stocked -> assigned -> claimed -> online <-> offline, and any state -> retired. The UPDATE
names the states a change may start from, so of two racing changes (a heartbeat and the
offline sweep, two claims) exactly one happens and writes its line.
"""

from django.db import transaction
from django.utils import timezone

from agencies.models import AccessEvent
from agencies.services import do_record_access
from devices.models import Device

State = Device.State
# Where each state may be reached from.
ALLOWED_FROM = {
    State.ASSIGNED: {State.STOCKED},
    State.CLAIMED: {State.STOCKED, State.ASSIGNED},
    State.ONLINE: {State.STOCKED, State.ASSIGNED, State.CLAIMED, State.OFFLINE},
    State.OFFLINE: {State.ONLINE},
    State.RETIRED: {State.STOCKED, State.ASSIGNED, State.CLAIMED, State.ONLINE, State.OFFLINE},
}


def record_device_change(actor, device: Device, change: str, *, request=None, **detail) -> None:
    """One audit line for a change to a box, in the box's agency's chain."""
    do_record_access(
        actor,
        AccessEvent.Action.RECORD_CHANGE,
        device,
        agency=device.agency,
        request=request,
        detail={"change": change, **detail},
    )


@transaction.atomic
def do_change_state(
    device: Device,
    to: str,
    *,
    actor=None,
    request=None,
    changes: dict | None = None,
    detail: dict | None = None,
) -> bool:
    """Move `device` to state `to` (with `changes` to other fields) if its current state allows; audited."""
    now = timezone.now()
    fields = {"state": to, "state_changed_at": now, **(changes or {})}
    moved = Device.objects.filter(pk=device.pk, state__in=ALLOWED_FROM[to]).update(**fields)
    if not moved:
        return False
    before = device.state
    for name, value in fields.items():
        setattr(device, name, value)
    record_device_change(
        actor, device, "device_state", request=request, **{"from": before, "to": to, **(detail or {})}
    )
    return True

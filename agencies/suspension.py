"""The kill switch: a superuser suspends an agency on a council's or a court's order, and reinstates it.

Suspension is a change of the agency's own row, saved through the model (so whatever keys
on agency saves sees it), with an audit line that the transparency page and the annual
report publish. What it stops is decided elsewhere from that row: the consent rule refuses
the agency's cameras (relays stop, media is refused), viewing and the wall end, the API
refuses its members. `agency_suspension_changed` is sent once the change commits so that
the apps above stop things at once instead of at their next pass.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from agencies.models import AccessEvent, Agency
from agencies.services import do_record_access
from rtcc.validators import required_text

# Sent after commit with agency_id and suspended (bool).
agency_suspension_changed = Signal()


def check_order(actor, *, order_reference: str, reason: str) -> tuple[str, str]:
    """Only the platform acts on an order, and the order is named: its reference and its reason."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only the platform's superusers act on a council's or court's order.")
    errors = {}
    order_reference = required_text(
        errors,
        "order_reference",
        order_reference,
        missing="Give the order's reference (for example the council resolution).",
        limit=100,
        too_long="Keep the reference under 100 characters.",
    )
    reason = required_text(
        errors,
        "reason",
        reason,
        missing="Say why, as the order does.",
        limit=500,
    )
    if errors:
        raise ValidationError(errors)
    return order_reference, reason


def _record_order(actor, agency: Agency, change: str, order_reference: str, reason: str, request, **extra):
    do_record_access(
        actor,
        AccessEvent.Action.SUSPENSION,
        agency,
        agency=agency,
        purpose=reason,
        case_number=order_reference[:64],
        request=request,
        detail={"change": change, "order": order_reference, "reason": reason, **extra},
    )


def _announce(agency: Agency, suspended: bool) -> None:
    transaction.on_commit(
        lambda: agency_suspension_changed.send(sender=Agency, agency_id=agency.pk, suspended=suspended)
    )


@transaction.atomic
def do_suspend_agency(actor, agency: Agency, *, order_reference: str, reason: str, request=None) -> Agency:
    """Suspend every access of `agency`; its cameras stop within seconds of the commit."""
    order_reference, reason = check_order(actor, order_reference=order_reference, reason=reason)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if agency.is_suspended:
        raise ValidationError(f"{agency.name} is already suspended (order {agency.suspension_order}).")
    agency.suspended_at = timezone.now()
    agency.suspension_order = order_reference
    agency.suspension_reason = reason
    agency.save(update_fields=["suspended_at", "suspension_order", "suspension_reason"])
    _record_order(actor, agency, "suspended", order_reference, reason, request)
    _announce(agency, True)
    return agency


@transaction.atomic
def do_reinstate_agency(actor, agency: Agency, *, order_reference: str, reason: str, request=None) -> Agency:
    """Lift a suspension; access comes back only as each camera's own consent and contract allow."""
    order_reference, reason = check_order(actor, order_reference=order_reference, reason=reason)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if not agency.is_suspended:
        raise ValidationError(f"{agency.name} is not suspended.")
    suspended = {
        "suspended_at": agency.suspended_at.isoformat(),
        "order": agency.suspension_order,
        "reason": agency.suspension_reason,
    }
    agency.suspended_at = None
    agency.suspension_order = ""
    agency.suspension_reason = ""
    agency.save(update_fields=["suspended_at", "suspension_order", "suspension_reason"])
    _record_order(actor, agency, "reinstated", order_reference, reason, request, lifts=suspended)
    _announce(agency, False)
    return agency


def suspension_history(agency: Agency, since=None, until=None):
    """The agency's suspension and reinstatement lines, newest first: what the public pages list."""
    lines = AccessEvent.objects.filter(agency=agency, action=AccessEvent.Action.SUSPENSION)
    if since is not None:
        lines = lines.filter(at__gte=since)
    if until is not None:
        lines = lines.filter(at__lt=until)
    return lines.order_by("-at", "-pk")

"""Complaints, violations and breaches: what the annual report must count, entered by an agency's admins.

A record is written once, with an audit line (action `record_change`, `detail.model`
`agencies.oversightrecord`), and never edited or deleted: a correction or an outcome is a
new record that names the earlier one in its text. The report counts them by kind and year.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from agencies.access import agency_of, has_role
from agencies.models import AccessEvent, Agency, Membership, OversightRecord
from agencies.services import do_record_access
from rtcc.validators import required_text


def check_record_input(kind: str, occurred_on, summary: str) -> str:
    errors = {}
    summary = required_text(errors, "summary", summary, limit=5000, missing="Say what happened.")
    if kind not in OversightRecord.Kind.values:
        errors["kind"] = "Choose complaint, violation or breach."
    if occurred_on is None:
        errors["occurred_on"] = "Give the date."
    elif occurred_on > timezone.localdate():
        errors["occurred_on"] = "A record is of something that has happened: not a future date."
    if errors:
        raise ValidationError(errors)
    return summary


@transaction.atomic
def do_record_oversight_entry(
    actor, agency: Agency, *, kind: str, occurred_on, summary: str, action_taken: str = "", request=None
) -> OversightRecord:
    """Record a complaint, violation or breach of `agency`, audited in its chain."""
    if not getattr(actor, "is_superuser", False):
        own = agency_of(actor)
        if own is None or own.pk != agency.pk or not has_role(actor, Membership.Role.ADMIN):
            raise PermissionDenied(
                "Only an admin of the agency records its complaints, violations and breaches."
            )
    summary = check_record_input(kind, occurred_on, summary)
    record = OversightRecord.objects.create(
        agency=agency,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary,
        action_taken=(action_taken or "").strip()[:5000],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    do_record_access(
        actor,
        AccessEvent.Action.RECORD_CHANGE,
        record,
        agency=agency,
        request=request,
        detail={
            "change": "created",
            "model": "agencies.oversightrecord",
            "kind": kind,
            "occurred_on": occurred_on.isoformat(),
        },
    )
    return record

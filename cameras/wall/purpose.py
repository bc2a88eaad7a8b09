"""The wall's working purpose: why the dispatcher opens private cameras during this task.

Stated once for the wall and kept in the user's sign-in session, so a reload or another
grid keeps it. It is only what the page offers with each live request: every private tile
still opens its own viewing session, and `check_purpose` decides again there. An incident
purpose ends with its incident: a closed one is dropped when the purpose is read.
"""

from django.core.exceptions import ValidationError

from agencies.models import Incident
from cameras.viewing.services import check_purpose
from rtcc.validators import is_id

SESSION_KEY = "rtcc.wall_purpose"


def incident_label(incident: Incident) -> str:
    return f"P{incident.priority} {incident.kind} · {incident.address or incident.external_id}"


def check_wall_purpose(user, body) -> dict:
    """Validate a purpose for the wall: an open incident of the agency, or a case number and a reason."""
    if not isinstance(body, dict):
        raise ValidationError({"purpose": "Send a JSON object."})
    incident_id = body.get("incident")
    case_number = body.get("case_number") or ""
    reason = body.get("reason") or ""
    if not all(isinstance(value, str) for value in (case_number, reason)):
        raise ValidationError({"purpose": "A case number and a reason are text."})
    if incident_id in (None, ""):
        errors = {}
        if not case_number.strip():
            errors["case_number"] = "Give a case number, or choose an open incident."
        if not reason.strip():
            errors["reason"] = "Say why you open private cameras for this case."
        if errors:
            raise ValidationError(errors)
    if incident_id not in (None, "") and not is_id(incident_id):
        raise ValidationError({"incident": "An incident is given by its id."})
    why = check_purpose(user, purpose=reason or "Incident", incident_id=incident_id, case_number=case_number)
    text = reason.strip() or f"Incident {incident_label(why.incident)}"
    return purpose_dict(text[:300], why.incident, why.case_number)


def purpose_dict(reason: str, incident: Incident | None, case_number: str) -> dict:
    """What the page keeps and shows; `purpose`, `incident` and `case_number` go with each live request."""
    if incident is not None:
        return {"purpose": reason, "incident": incident.pk, "label": incident_label(incident)}
    return {"purpose": reason, "case_number": case_number, "label": f"Case {case_number}: {reason}"}


def do_set_wall_purpose(request, body) -> dict:
    purpose = check_wall_purpose(request.user, body)
    request.session[SESSION_KEY] = {
        key: purpose[key] for key in ("purpose", "incident", "case_number") if key in purpose
    }
    return purpose


def do_clear_wall_purpose(request) -> None:
    request.session.pop(SESSION_KEY, None)


def current_wall_purpose(request) -> dict | None:
    """The purpose in force for this sign-in, re-checked now (its incident may have closed)."""
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return None
    try:
        why = check_purpose(
            request.user,
            purpose=stored.get("purpose", ""),
            incident_id=stored.get("incident"),
            case_number=stored.get("case_number", ""),
        )
    except ValidationError:
        do_clear_wall_purpose(request)
        return None
    return purpose_dict(why.text, why.incident, why.case_number)

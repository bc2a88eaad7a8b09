"""Side effects of the agencies domain: the audit trail."""

from django.db import models

from agencies.access import agency_of
from agencies.models import AccessEvent, Agency, Incident


def client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind a proxy, the proxy sets REMOTE_ADDR to the client through its own module
    # (nginx real_ip); trusting X-Forwarded-For here would let anyone forge the audit.
    return request.META.get("REMOTE_ADDR") or None


def do_record_access(
    actor,
    action: str,
    target: models.Model | None = None,
    *,
    agency: Agency | None = None,
    purpose: str = "",
    incident: Incident | None = None,
    case_number: str = "",
    request=None,
    outcome: str = AccessEvent.Outcome.ALLOWED,
    detail: dict | None = None,
) -> AccessEvent:
    """Append one line to the audit trail."""
    actor_ok = actor is not None and getattr(actor, "is_authenticated", False)
    if agency is None:
        agency = agency_of(actor) if actor_ok else None
        if agency is None and target is not None:
            agency = getattr(target, "agency", None)
    return AccessEvent.objects.create(
        actor=actor if actor_ok else None,
        actor_name=actor.get_username() if actor_ok else "",
        agency=agency,
        action=action,
        target_type=target._meta.model_name if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        purpose=purpose[:300],
        incident=incident,
        case_number=case_number[:64],
        source_ip=client_ip(request),
        outcome=outcome,
        detail=detail or {},
    )

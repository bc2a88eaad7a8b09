"""The oversight console: the audit trail, viewing hours, refusals and sessions of one agency."""

import csv
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from agencies.audit import verify_chain
from agencies.audit_query import (
    FILTERS,
    audit_events,
    chain_head,
    check_audit_reader,
    filter_audit,
    parse_window,
)
from agencies.models import AccessEvent, Incident
from agencies.services import do_annotate_audit_line
from cameras.oversight.figures import recent_sessions, viewing_hours
from rtcc.spreadsheet import csv_cell

DEFAULT_DAYS = 30
CSV_COLUMNS = [
    "sequence", "at", "actor_name", "action", "outcome", "target_type", "target_id", "target_label",
    "purpose", "incident_id", "case_number", "source_ip", "detail", "digest",
]  # fmt: skip


def _error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
    return list(error.messages)


@login_required
def console(request):
    """Search the trail; see who watched what, for how long and why; verify the chain."""
    agency = check_audit_reader(request.user, request.GET.get("agency", ""))
    filters = {name: request.GET.get(name, "") for name in FILTERS}
    try:
        events = filter_audit(audit_events(agency), request.GET)
        since, until = parse_window(request.GET)
    except ValidationError as error:
        context = {"agency": agency, "filters": filters, "errors": _error_messages(error), **_choices()}
        return render(request, "oversight/console.html", context, status=400)
    hours_since = since or timezone.now() - timedelta(days=DEFAULT_DAYS)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = urlencode({name: value for name, value in filters.items() if value})
    context = {
        "agency": agency,
        "filters": filters,
        "query": query,
        "page": page,
        "refused": filter_audit(audit_events(agency), {**filters, "outcome": "denied"})[:20],
        "hours": viewing_hours(agency, hours_since, until) if agency else None,
        "hours_since": hours_since,
        "sessions": recent_sessions(agency, hours_since, until) if agency else [],
        # Recomputed on every load: the page shows what holds now, not what a job found last night.
        "chain": verify_chain(agency.pk if agency else None),
        "head": chain_head(agency),
        **_choices(),
    }
    return render(request, "oversight/console.html", context)


def _choices() -> dict:
    return {"actions": AccessEvent.Action.choices, "outcomes": AccessEvent.Outcome.choices}


class _Echo:
    def write(self, value):
        return value


@login_required
def audit_csv(request):
    """The filtered audit lines as CSV, newest first (the JSON Lines export is the verifiable one)."""
    agency = check_audit_reader(request.user, request.GET.get("agency", ""))
    events = filter_audit(audit_events(agency), request.GET)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow([csv_cell(getattr(event, column)) for column in CSV_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    name = agency.slug if agency else "global"
    response["Content-Disposition"] = f'attachment; filename="audit-{name}.csv"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def annotate(request, sequence: int):
    """Add a note or an incident link to one audit line: a new line, never an edit."""
    agency = check_audit_reader(request.user, request.GET.get("agency", ""))
    line = get_object_or_404(audit_events(agency), sequence=sequence)
    annotations = audit_events(agency).filter(
        action=AccessEvent.Action.ANNOTATION, target_type="accessevent", target_id=str(line.pk)
    )
    incidents = Incident.objects.filter(agency=agency).order_by("-opened_at")[:200]
    errors, status = [], 200
    if request.method == "POST":
        try:
            incident = _incident(request.POST.get("incident", ""), agency)
            do_annotate_audit_line(
                request.user, line, note=request.POST.get("note", ""), incident=incident, request=request
            )
            return redirect(request.get_full_path())
        except ValidationError as error:
            errors, status = _error_messages(error), 400
    context = {"line": line, "annotations": annotations, "incidents": incidents, "errors": errors}
    return render(request, "oversight/annotate.html", context, status=status)


def _incident(text: str, agency) -> Incident | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise ValidationError({"incident": f"{text!r} is not an incident id."})
    incident = Incident.objects.filter(pk=int(text), agency=agency).first()
    if incident is None:
        raise ValidationError({"incident": "No incident of this agency has this id."})
    return incident

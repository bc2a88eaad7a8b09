import csv
import io

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from agencies.audit_query import daily_heads
from agencies.models import AccessEvent, Agency
from cameras.footage.deletion_orders import certificate_document
from cameras.transparency.figures import figures_for
from cameras.transparency.report import annual_report, report_rows
from rtcc.spreadsheet import csv_cell

FIRST_YEAR = 2000


def transparency(request):
    """Public figures for every agency: cameras by consent, viewing sessions and exports in 30 days."""
    agencies = [figures_for(agency) for agency in Agency.objects.order_by("name")]
    return render(request, "transparency/index.html", {"agencies": agencies})


def chain_heads(request, slug: str, fmt: str = "html"):
    """The agency's audit chain head at the end of each of the last 30 days."""
    agency = get_object_or_404(Agency, slug=slug)
    heads = daily_heads(agency)
    if fmt == "json":
        return JsonResponse({"agency": agency.slug, "time_zone": agency.time_zone, "heads": heads})
    return render(request, "transparency/heads.html", {"agency": agency, "heads": heads})


def report(request, slug: str, year: int, fmt: str = "html"):
    """The annual surveillance report of one agency, as a page, JSON or CSV."""
    agency = get_object_or_404(Agency, slug=slug)
    # A future year has nothing to report; a year before the system existed neither.
    if not FIRST_YEAR <= year <= timezone.now().year:
        raise Http404("No report for this year.")
    figures = annual_report(agency, year)
    if fmt == "json":
        response = JsonResponse(figures, json_dumps_params={"indent": 2})
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["key", "value"])
        writer.writerows((key, csv_cell(value)) for key, value in report_rows(figures))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        return render(request, "transparency/report.html", {"report": figures, "agency": agency})
    response["Content-Disposition"] = f'inline; filename="{agency.slug}-{year}.{fmt}"'
    return response


def deletion_certificate(request, slug: str, sequence: int):
    """A deletion order's certificate with the audit line that seals it: public, as the order is."""
    agency = get_object_or_404(Agency, slug=slug)
    line = get_object_or_404(
        AccessEvent, agency=agency, sequence=sequence, action=AccessEvent.Action.DELETION_ORDER
    )
    response = JsonResponse(certificate_document(line), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'inline; filename="{agency.slug}-deletion-{sequence}.json"'
    return response

"""The annual surveillance report of one agency: every figure a count over the raw tables.

Keys are documented in docs/transparency.md; a test recomputes each from the rows.
"""

import datetime
import zoneinfo
from collections import Counter
from decimal import Decimal

from django.utils import timezone

from agencies.audit import verify_chain
from agencies.audit_query import chain_head
from agencies.models import AccessEvent, Agency, OversightRecord
from agencies.suspension import suspension_history
from billing.models import Contract, Invoice, InvoiceLine
from cameras.footage.deletion_orders import certificates_of
from cameras.footage.models import EvidenceHold, FootageExport, FootageRequest, RecordingExport
from cameras.models import Camera
from cameras.transparency.sharing import sharing
from cameras.viewing.hours import hours_by, sessions_in
from rtcc.geo import AREA_CELL_DEGREES, area_cell

# Invoices that bind the agency; a draft may change and a void one was withdrawn.
BILLED = (Invoice.Status.ISSUED, Invoice.Status.PAID)


def year_bounds(agency: Agency, year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """[1 January, next 1 January) in the agency's own time zone."""
    zone = zoneinfo.ZoneInfo(agency.time_zone)
    return datetime.datetime(year, 1, 1, tzinfo=zone), datetime.datetime(year + 1, 1, 1, tzinfo=zone)


def _sum(totals) -> dict:
    totals = list(totals)
    sessions = sum(count for count, _hours in totals)
    return {"sessions": sessions, "hours": round(sum(hours for _count, hours in totals), 2)}


def viewing(agency: Agency, since, until, now) -> dict:
    """Sessions and hours, by purpose (an incident, else a case number) and by camera kind."""
    sessions = sessions_in(agency, since, until)
    by_incident = hours_by(sessions, "incident_id", since, until, now)
    by_kind = hours_by(sessions, "camera__kind", since, until, now)
    return {
        **_sum(by_kind.values()),
        "by_purpose": {
            "incident": _sum(totals for incident, totals in by_incident.items() if incident is not None),
            "case_number": _sum([by_incident[None]] if None in by_incident else []),
        },
        "by_camera_kind": {
            kind: _sum([by_kind[kind]] if kind in by_kind else []) for kind in Camera.Kind.values
        },
    }


def footage(agency: Agency, since, until) -> dict:
    made = FootageRequest.objects.filter(agency=agency, created_at__gte=since, created_at__lt=until)
    statuses = Counter(made.values_list("status", flat=True))
    exports = FootageExport.objects.filter(
        request__agency=agency, created_at__gte=since, created_at__lt=until
    )
    return {
        "requests_made": sum(statuses.values()),
        **{f"requests_{status}": statuses.get(status, 0) for status in FootageRequest.Status.values},
        "exports": exports.count(),
        "exports_delivered": exports.filter(delivered=True).count(),
        # Clips the agency cut from its own cameras' recordings (the wall's export), not asked of anyone.
        "agency_camera_exports": RecordingExport.objects.filter(
            agency=agency, created_at__gte=since, created_at__lt=until
        ).count(),
    }


def camera_cells(agency: Agency, until) -> list[dict]:
    """Cameras by area cell and kind: a count per cell, never a camera's place."""
    cells: dict[str, Counter] = {}
    for lat, lon, kind in Camera.objects.filter(agency=agency, created_at__lt=until).values_list(
        "lat", "lon", "kind"
    ):
        cells.setdefault(area_cell(lat, lon), Counter())[kind] += 1
    return [
        {"cell": cell, **{kind: counts.get(kind, 0) for kind in Camera.Kind.values}}
        for cell, counts in sorted(cells.items())
    ]


def audit(agency: Agency, since, until) -> dict:
    events = AccessEvent.objects.filter(agency=agency, at__gte=since, at__lt=until)
    refused = Counter(events.filter(outcome=AccessEvent.Outcome.DENIED).values_list("action", flat=True))
    deletions = events.filter(action=AccessEvent.Action.DELETION)
    segments = bytes_deleted = 0
    for detail in deletions.values_list("detail", flat=True):
        segments += int(detail.get("segments", 0))
        bytes_deleted += int(detail.get("bytes", 0))
    chain = verify_chain(agency.pk)
    head = chain_head(agency)
    return {
        "refused_attempts": sum(refused.values()),
        "refused_by_action": dict(sorted(refused.items())),
        "admin_overrides": events.filter(action=AccessEvent.Action.PLATFORM_OVERRIDE).count(),
        "retention_deletions": {"runs": deletions.count(), "segments": segments, "bytes": bytes_deleted},
        "audit_lines": events.count(),
        "chain": {
            "intact": chain.intact,
            "rows_checked": chain.checked,
            "head": head.head if head else None,
            "broken_at": chain.broken_at,
            "reason": chain.reason,
        },
    }


def orders(agency: Agency, since, until) -> dict:
    """Suspensions, reinstatements and deletion orders of the year, and evidence holds."""
    holds = EvidenceHold.objects.filter(agency=agency)
    return {
        "suspensions": [
            {
                "at": line.at.isoformat(),
                "change": line.detail.get("change"),
                "order": line.detail.get("order"),
                "reason": line.detail.get("reason"),
                "sequence": line.sequence,
            }
            for line in suspension_history(agency, since, until).order_by("at", "pk")
        ],
        "deletion_orders": [
            {
                "at": line.at.isoformat(),
                "order": line.detail.get("order"),
                "files": line.detail.get("files"),
                "bytes": line.detail.get("bytes"),
                "manifest_sha256": line.detail.get("manifest_sha256"),
                "sequence": line.sequence,
            }
            for line in certificates_of(agency).filter(at__gte=since, at__lt=until).order_by("at", "pk")
        ],
        "evidence_holds": {
            "placed": holds.filter(placed_at__gte=since, placed_at__lt=until).count(),
            "released": holds.filter(released_at__gte=since, released_at__lt=until).count(),
            "in_force_at_end": holds.filter(placed_at__lt=until).exclude(released_at__lt=until).count(),
        },
    }


def oversight_records(agency: Agency, year: int) -> dict:
    """Complaints, violations and breaches the agency's admins recorded, by the date they happened."""
    counts = Counter(
        OversightRecord.objects.filter(agency=agency, occurred_on__year=year).values_list("kind", flat=True)
    )
    kinds = OversightRecord.Kind
    return {
        "complaints": counts.get(kinds.COMPLAINT, 0),
        "violations": counts.get(kinds.VIOLATION, 0),
        "breaches": counts.get(kinds.BREACH, 0),
    }


def cost(agency: Agency, year: int) -> dict:
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    contracts = Contract.objects.filter(
        agency=agency, starts_on__lte=last, ends_on__gte=first
    ).select_related("package")
    invoices = Invoice.objects.filter(
        contract__agency=agency, status__in=BILLED, period_start__gte=first, period_start__lte=last
    )
    total = Decimal("0.00")
    for invoice in invoices.prefetch_related("lines"):
        total += invoice.total
    return {
        "currency": "USD",
        "invoiced": str(total),
        "invoices": invoices.count(),
        "invoice_lines": InvoiceLine.objects.filter(invoice__in=invoices).count(),
        "contracts": [
            {
                "reference": contract.reference,
                "package": contract.package.name,
                "starts_on": contract.starts_on.isoformat(),
                "ends_on": contract.ends_on.isoformat(),
                "status": contract.status,
                "device_quota": contract.device_quota,
                "price_per_device_year": str(contract.price_per_device_year),
            }
            for contract in contracts
        ],
    }


def annual_report(agency: Agency, year: int, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    since, until = year_bounds(agency, year)
    return {
        "agency": {"slug": agency.slug, "name": agency.name},
        "year": year,
        "period": {
            "start": since.isoformat(),
            "end": until.isoformat(),
            "last_day": (until.date() - datetime.timedelta(days=1)).isoformat(),
            "complete": now >= until,
        },
        "generated_at": now.isoformat(),
        "viewing": viewing(agency, since, until, now),
        "footage": footage(agency, since, until),
        "cameras_by_area": {"cell_degrees": AREA_CELL_DEGREES, "cells": camera_cells(agency, until)},
        "sharing": sharing(agency, since, until, now),
        "audit": audit(agency, since, until),
        "records": oversight_records(agency, year),
        "orders": orders(agency, since, until),
        "retention_days": agency.retention_days,
        "cost": cost(agency, year),
        "policy": {"use_policy": agency.use_policy, "oversight_contact": agency.oversight_contact},
    }


def report_rows(figures: dict, prefix: str = ""):
    """(dotted key, value) pairs of the report, for CSV: lists are numbered, e.g. cost.contracts.0.reference."""
    items = figures.items() if isinstance(figures, dict) else enumerate(figures)
    for key, value in items:
        name = f"{prefix}{key}"
        if isinstance(value, dict | list):
            yield from report_rows(value, f"{name}.")
        else:
            yield name, "" if value is None else value

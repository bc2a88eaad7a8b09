"""Billing rules: device quotas and invoices drawn from device subscriptions."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from agencies.models import AccessEvent
from agencies.services import do_record_access
from billing.models import Contract, DeviceSubscription, Invoice, InvoiceLine

DAYS_PER_YEAR = Decimal(365)


def check_quota(contract: Contract, starts_on: datetime.date, *, exclude_pk: int | None = None) -> None:
    """Refuse a subscription that would put more devices on the contract than it allows."""
    open_subscriptions = contract.subscriptions.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if exclude_pk is not None:
        open_subscriptions = open_subscriptions.exclude(pk=exclude_pk)
    if open_subscriptions.count() >= contract.device_quota:
        raise ValidationError(
            f"Contract {contract.reference} allows {contract.device_quota} devices and all are in use; "
            "end a subscription or raise the quota first."
        )


def device_years(subscription: DeviceSubscription, start: datetime.date, end: datetime.date) -> Decimal:
    """The part of a year the subscription ran within [start, end], both days included."""
    first = max(start, subscription.starts_on)
    last = min(end, subscription.ends_on or end)
    days = (last - first).days + 1
    if days <= 0:
        return Decimal("0")
    return (Decimal(days) / DAYS_PER_YEAR).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


@transaction.atomic
def do_draft_invoice(
    contract: Contract, start: datetime.date, end: datetime.date, *, actor=None, request=None
) -> Invoice:
    """A draft invoice with one line per device subscribed during the period, pro rata."""
    if end < start:
        raise ValidationError("The period ends before it starts.")
    if (
        Invoice.objects.filter(contract=contract, period_start=start, period_end=end)
        .exclude(status=Invoice.Status.VOID)
        .exists()
    ):
        raise ValidationError(f"Contract {contract.reference} already has an invoice for {start} to {end}.")
    number = f"INV-{contract.reference}-{start:%Y%m%d}"
    invoice = Invoice.objects.create(contract=contract, number=number, period_start=start, period_end=end)
    subscriptions = (
        contract.subscriptions.filter(starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .select_related("device")
        .order_by("device__serial")
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            description=f"{contract.package.name}: device {subscription.device.serial}, {first_day(subscription, start)} to {last_day(subscription, end)}",
            quantity=device_years(subscription, start, end),
            unit_price=contract.price_per_device_year,
        )
        for subscription in subscriptions
    )
    do_record_access(
        actor,
        AccessEvent.Action.RECORD_CHANGE,
        contract,
        agency=contract.agency,
        request=request,
        detail={"change": "invoice_drafted", "invoice": number, "period": [str(start), str(end)]},
    )
    return invoice


def first_day(subscription: DeviceSubscription, start: datetime.date) -> datetime.date:
    return max(start, subscription.starts_on)


def last_day(subscription: DeviceSubscription, end: datetime.date) -> datetime.date:
    return min(end, subscription.ends_on or end)

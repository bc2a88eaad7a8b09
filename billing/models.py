from decimal import ROUND_HALF_UP, Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

CENT = Decimal("0.01")
MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Package(models.Model):
    """A subscription package an agency can buy, priced per device and year."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    price_per_device_year = models.DecimalField(**MONEY)
    features = models.JSONField(default=list, blank=True, help_text="A list of feature names.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price_per_device_year", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price_per_device_year__gte=0), name="package_price_positive")
        ]

    def __str__(self):
        return f"{self.name} (${self.price_per_device_year}/device-year)"


class ContractQuerySet(models.QuerySet):
    def active_on(self, day):
        return self.filter(status=Contract.Status.ACTIVE, starts_on__lte=day, ends_on__gte=day)


class Contract(models.Model):
    """An agency's agreement to a package for a term and a number of devices."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        ENDED = "ended", "Ended"

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="contracts")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="contracts")
    reference = models.CharField(max_length=64, unique=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    device_quota = models.PositiveIntegerField()
    price_per_device_year = models.DecimalField(
        **MONEY, help_text="The agreed price; may differ from the list price."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="contract_term_positive"),
            models.CheckConstraint(condition=Q(price_per_device_year__gte=0), name="contract_price_positive"),
        ]
        indexes = [models.Index(fields=["agency", "status", "ends_on"])]

    def __str__(self):
        return f"{self.reference} ({self.agency}, {self.package.name})"


class DeviceSubscription(models.Model):
    """A device counted against a contract's quota, from one day to another."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="subscriptions")
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="subscriptions")
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "device"]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=Q(ends_on__isnull=True),
                name="one_open_subscription_per_device",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="subscription_term_positive",
            ),
        ]

    def __str__(self):
        return f"{self.device} on {self.contract.reference}"


class Invoice(models.Model):
    """A bill to an agency for one period of a contract."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        VOID = "void", "Void"

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=32, unique=True)
    period_start = models.DateField()
    period_end = models.DateField()
    issued_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        ordering = ["-period_start", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="invoice_period_positive"
            )
        ]
        indexes = [models.Index(fields=["contract", "status"])]

    def __str__(self):
        return self.number

    @property
    def total(self) -> Decimal:
        # The sum of the rounded lines, as printed: never a cent off from what the reader adds up.
        return sum((line.amount for line in self.lines.all()), Decimal("0.00"))


class InvoiceLine(models.Model):
    """One priced line of an invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(
        max_digits=10, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    unit_price = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice", "pk"]

    def __str__(self):
        return self.description

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)

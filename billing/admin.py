from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from agencies.admin_audit import AuditedAdmin, PlatformWritesAdmin
from agencies.admin_scoping import AgencyScopedAdmin
from billing.models import Contract, DeviceSubscription, Invoice, InvoiceLine, Package
from billing.services import check_quota, do_draft_invoice


@admin.register(Package)
class PackageAdmin(PlatformWritesAdmin, AuditedAdmin):
    list_display = ["name", "slug", "price_per_device_year", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Contract)
class ContractAdmin(PlatformWritesAdmin, AgencyScopedAdmin, AuditedAdmin):
    """Contracts and their prices are the platform's; an agency admin reads their own."""

    list_display = [
        "reference",
        "agency",
        "package",
        "starts_on",
        "ends_on",
        "device_quota",
        "price_per_device_year",
        "status",
    ]
    list_filter = ["status", "package", "agency"]
    search_fields = ["reference", "agency__name"]
    date_hierarchy = "starts_on"
    list_select_related = ["agency", "package"]
    actions = ["draft_invoice_for_this_year"]

    @admin.action(description="Draft an invoice for this calendar year")
    def draft_invoice_for_this_year(self, request, queryset):
        today = timezone.localdate()
        start, end = today.replace(month=1, day=1), today.replace(month=12, day=31)
        for contract in queryset.select_related("package"):
            try:
                invoice = do_draft_invoice(contract, start, end, actor=request.user, request=request)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                self.message_user(request, f"Drafted {invoice.number}: ${invoice.total}.", messages.SUCCESS)


class DeviceSubscriptionForm(forms.ModelForm):
    class Meta:
        model = DeviceSubscription
        fields = ["contract", "device", "starts_on", "ends_on"]

    def clean(self):
        data = super().clean()
        if data.get("contract") and data.get("starts_on") and not data.get("ends_on"):
            try:
                check_quota(data["contract"], data["starts_on"], exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error("contract", error)
        return data


@admin.register(DeviceSubscription)
class DeviceSubscriptionAdmin(AgencyScopedAdmin, AuditedAdmin):
    form = DeviceSubscriptionForm
    agency_path = "contract__agency"
    list_display = ["device", "contract", "starts_on", "ends_on"]
    list_filter = [("ends_on", admin.EmptyFieldListFilter), "contract__agency"]
    search_fields = ["device__serial", "contract__reference"]
    list_select_related = ["device", "contract"]
    scoped_foreign_keys = {"contract": "agency", "device": "agency"}


class InvoiceLineInline(PlatformWritesAdmin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["description", "quantity", "unit_price"]


@admin.register(Invoice)
class InvoiceAdmin(PlatformWritesAdmin, AgencyScopedAdmin, AuditedAdmin):
    agency_path = "contract__agency"
    list_display = [
        "number",
        "contract",
        "period_start",
        "period_end",
        "status",
        "issued_on",
        "due_on",
        "total",
    ]
    list_filter = ["status", "contract__agency"]
    search_fields = ["number", "contract__reference"]
    date_hierarchy = "period_start"
    list_select_related = ["contract"]
    inlines = [InvoiceLineInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    scoped_foreign_keys = {"contract": "agency"}


@admin.register(InvoiceLine)
class InvoiceLineAdmin(PlatformWritesAdmin, AgencyScopedAdmin, AuditedAdmin):
    agency_path = "invoice__contract__agency"
    list_display = ["description", "invoice", "quantity", "unit_price", "amount"]
    search_fields = ["description", "invoice__number"]
    list_select_related = ["invoice"]
    scoped_foreign_keys = {"invoice": "contract__agency"}

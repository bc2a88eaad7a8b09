from django.contrib import admin

from billing.models import Contract, DeviceSubscription, Invoice, InvoiceLine, Package
from rtcc.admin_scoping import AgencyScopedAdmin


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "price_per_device_year", "active"]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Contract)
class ContractAdmin(AgencyScopedAdmin):
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


@admin.register(DeviceSubscription)
class DeviceSubscriptionAdmin(AgencyScopedAdmin):
    agency_path = "contract__agency"
    list_display = ["device", "contract", "starts_on", "ends_on"]
    list_filter = [("ends_on", admin.EmptyFieldListFilter), "contract__agency"]
    search_fields = ["device__serial", "contract__reference"]
    list_select_related = ["device", "contract"]
    scoped_foreign_keys = {"contract": "agency", "device": "agency"}


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["description", "quantity", "unit_price"]


@admin.register(Invoice)
class InvoiceAdmin(AgencyScopedAdmin):
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
class InvoiceLineAdmin(AgencyScopedAdmin):
    agency_path = "invoice__contract__agency"
    list_display = ["description", "invoice", "quantity", "unit_price", "amount"]
    search_fields = ["description", "invoice__number"]
    list_select_related = ["invoice"]
    scoped_foreign_keys = {"invoice": "contract__agency"}

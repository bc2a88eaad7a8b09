from django.contrib import admin

from agencies.admin_audit import AuditedAdmin
from agencies.admin_scoping import AgencyScopedAdmin
from devices.models import Device
from devices.services import do_delete_device


@admin.register(Device)
class DeviceAdmin(AgencyScopedAdmin, AuditedAdmin):
    """Stock and fleet of the agency's edge boxes; who owns a box is set by the owner's claim."""

    list_display = [
        "serial",
        "model",
        "state",
        "owner",
        "agency",
        "last_heartbeat_at",
        "firmware_version",
    ]
    list_filter = ["state", "model", "agency"]
    search_fields = ["serial", "owner__username", "owner__email"]
    list_select_related = ["owner", "agency"]
    readonly_fields = ["enrolled_at", "last_heartbeat_at", "last_ip", "created_at"]
    raw_id_fields = ["owner"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "owner"]

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (request.user.is_superuser or obj is None or obj.owner_id is None)

    def delete_with_service(self, request, obj):
        do_delete_device(request.user, obj, request=request)

from django.contrib import admin

from devices.models import Device
from rtcc.admin_scoping import AgencyScopedAdmin


@admin.register(Device)
class DeviceAdmin(AgencyScopedAdmin):
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

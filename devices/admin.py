from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from agencies.admin_audit import AuditedAdmin
from agencies.admin_scoping import AgencyScopedAdmin
from devices.forms import DeviceActionForm, StockBatchForm
from devices.labels import render_label_sheet
from devices.models import Device
from devices.services import do_delete_device
from devices.stock import do_assign_device, do_issue_claim_code, do_retire_device, do_stock_devices
from devices.tokens import do_request_token_rotation, do_revoke_token


def device_action(description: str, service, done: str):
    """An admin action that runs `service(user, device, request=...)` on each chosen device."""

    @admin.action(description=description, permissions=["change"])
    def action(self, request, queryset):
        self._each(request, queryset, lambda device: service(request.user, device, request=request), done)

    action.__name__ = service.__name__.removeprefix("do_")
    return action


@admin.register(Device)
class DeviceAdmin(AgencyScopedAdmin, AuditedAdmin):
    """Stock and fleet of the agency's edge boxes; who owns a box is set by the owner's claim."""

    list_display = ["serial", "state", "delivery", "owner", "agency", "last_heartbeat", "owners_pause"]
    list_display += ["agent_version"]
    list_filter = ["state", "delivery", "model", "agency"]
    search_fields = ["serial", "owner__username", "owner__email", "recipient"]
    list_select_related = ["owner", "agency"]
    editable_fields = ["serial", "model", "agency", "owner", "delivery", "recipient"]
    readonly_fields = [
        "state",
        "state_changed_at",
        "last_heartbeat",
        "owners_pause",
        "agent_version",
        "firmware_version",
        "camera_health_table",
        "token_status",
        "enrolled_at",
        "last_ip",
        "created_at",
    ]
    raw_id_fields = ["owner"]
    action_form = DeviceActionForm
    actions = ["assign_devices", "issue_claim_codes", "rotate_tokens", "revoke_tokens", "retire_devices"]

    def get_fields(self, request, obj=None):
        editable = [f for f in self.editable_fields if f != "agency" or request.user.is_superuser]
        return [*editable, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("serial")
        return readonly if request.user.is_superuser else [*readonly, "owner"]

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (request.user.is_superuser or obj is None or obj.owner_id is None)

    def delete_with_service(self, request, obj):
        do_delete_device(request.user, obj, request=request)

    # The add page stocks a batch and prints its labels: a box added here can be claimed.

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        superuser = request.user.is_superuser
        form = StockBatchForm(request.POST if request.method == "POST" else None, superuser=superuser)
        if request.method == "POST" and form.is_valid():
            try:
                labels = do_stock_devices(
                    request.user,
                    form.cleaned_data["model"],
                    form.serial_list(),
                    agency=form.cleaned_data.get("agency"),
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                title = f"Labels for {len(labels)} new device{'s' if len(labels) != 1 else ''}"
                return render_label_sheet(request, labels, title=title)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Add devices to stock",
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/devices/device/add_batch.html", context)

    # Columns and read-only fields

    @admin.display(description="Last heartbeat", ordering="last_heartbeat_at")
    def last_heartbeat(self, obj):
        if obj.last_heartbeat_at is None:
            return "never" if obj.state in (Device.State.STOCKED, Device.State.ASSIGNED) else "not yet"
        return f"{timesince(obj.last_heartbeat_at, timezone.now())} ago"

    @admin.display(description="Owner's pause", ordering="paused_at")
    def owners_pause(self, obj):
        # The owner's local switch: shown, never editable here (devices/pause.py).
        if obj.paused_at is None:
            return "–"
        return f"Paused by its owner {obj.get_paused_from_display()}, {timesince(obj.paused_at, timezone.now())} ago"

    @admin.display(description="Camera health")
    def camera_health_table(self, obj):
        if not obj.camera_health:
            return "No report yet."
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    camera_id,
                    report.get("frames", "–"),
                    report.get("bitrate_kbps", "–"),
                    report.get("errors", "–"),
                    report.get("last_error", ""),
                )
                for camera_id, report in sorted(obj.camera_health.items(), key=lambda item: int(item[0]))
            ),
        )
        return format_html(
            "<table><thead><tr><th>Camera</th><th>Frames</th><th>kbit/s</th><th>Errors</th>"
            "<th>Last error</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Token")
    def token_status(self, obj):
        if obj.token_revoked_at:
            return f"revoked {timesince(obj.token_revoked_at)} ago; the box needs a new claim code"
        if obj.token_hash is None:
            return "none (the box has not enrolled)"
        if obj.token_rotation_requested_at:
            return "rotation requested: the box gets a new token at its next heartbeat"
        return f"issued {timesince(obj.token_issued_at)} ago" if obj.token_issued_at else "issued"

    # The notice of boxes gone offline, above the list

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            offline = list(
                self.get_queryset(request)
                .filter(state=Device.State.OFFLINE)
                .values_list("serial", flat=True)[:11]
            )
            if offline:
                shown = ", ".join(offline[:10]) + (" and more" if len(offline) > 10 else "")
                messages.warning(request, f"Offline (missed two heartbeats or more): {shown}.")
        return super().changelist_view(request, extra_context)

    # Actions: each row through its service, so each writes its own audit line.

    def _each(self, request, queryset, service, done: str) -> int:
        count = 0
        for device in queryset:
            try:
                service(device)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} device(s) {done}.", messages.SUCCESS)
        return count

    @admin.action(description="Assign for hand-over (choose how above)", permissions=["change"])
    def assign_devices(self, request, queryset):
        delivery = request.POST.get("delivery", "")
        recipient = request.POST.get("recipient", "")
        if delivery not in Device.Delivery.values:
            self.message_user(
                request, "Choose how the devices are handed over: sold, subsidised or given.", messages.ERROR
            )
            return None
        self._each(
            request,
            queryset,
            lambda device: do_assign_device(
                request.user, device, delivery, recipient=recipient, request=request
            ),
            f"assigned ({Device.Delivery(delivery).label.lower()})",
        )
        return None

    @admin.action(description="Issue new claim codes and print their labels", permissions=["change"])
    def issue_claim_codes(self, request, queryset):
        labels, refused = [], []
        for device in queryset:
            try:
                labels.append(do_issue_claim_code(request.user, device, request=request))
            except ValidationError as error:
                refused.extend(error.messages)
        if refused:
            self.message_user(request, " ".join(refused), messages.ERROR)
        if not labels:
            return None
        return render_label_sheet(request, labels, title=f"New claim codes for {len(labels)} device(s)")

    rotate_tokens = device_action(
        "Rotate tokens (at the next heartbeat)",
        do_request_token_rotation,
        "will get a new token at their next heartbeat",
    )
    revoke_tokens = device_action("Revoke tokens now", do_revoke_token, "revoked")
    retire_devices = device_action("Retire", do_retire_device, "retired")

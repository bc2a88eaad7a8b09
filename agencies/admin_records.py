"""Admin page for complaints, violations and breaches: entered once through the service, never edited."""

from django.contrib import admin

from agencies.access import agency_of
from agencies.admin_scoping import AgencyScopedAdmin, CheckedWhenAdded
from agencies.models import OversightRecord
from agencies.oversight_records import check_record_input, do_record_oversight_entry


class OversightRecordForm(CheckedWhenAdded):
    def check_new(self, data):
        check_record_input(data.get("kind"), data.get("occurred_on"), data.get("summary"))


@admin.register(OversightRecord)
class OversightRecordAdmin(AgencyScopedAdmin):
    """What the annual report counts as complaints, violations and breaches; a correction is a new record."""

    form = OversightRecordForm
    list_display = ["occurred_on", "kind", "agency", "recorded_by", "recorded_at"]
    list_filter = ["kind", "agency"]
    search_fields = ["summary", "action_taken"]
    date_hierarchy = "occurred_on"
    list_select_related = ["agency", "recorded_by"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["agency", "kind", "occurred_on", "summary", "action_taken", "recorded_by", "recorded_at"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only once recorded
        agency = obj.agency if request.user.is_superuser else agency_of(request.user)
        entry = {
            name: form.cleaned_data.get(name) for name in ("kind", "occurred_on", "summary", "action_taken")
        }
        obj.pk = do_record_oversight_entry(request.user, agency, request=request, **entry).pk

"""Agency scoping for the admin: an agency admin sees and edits only their agency's rows."""

from django.contrib import admin

from agencies.access import agency_of, scope_to_agency


class AgencyScopedAdmin(admin.ModelAdmin):
    """Rows reach their agency through `agency_path`; foreign keys offer only scoped rows."""

    agency_path = "agency"
    # Foreign keys whose choices must be scoped: field name -> path from that model to its agency.
    scoped_foreign_keys: dict[str, str] = {}

    def get_queryset(self, request):
        return scope_to_agency(super().get_queryset(request), request.user, self.agency_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.scoped_foreign_keys.get(db_field.name)
        if path is not None and field is not None:
            field.queryset = scope_to_agency(field.queryset, request.user, path)
        return field

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        # Only a superuser sees more than one agency; a filter of one is noise.
        if not request.user.is_superuser:
            filters = [f for f in filters if f != self.agency_path]
        return filters

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and self.agency_path == "agency":
            exclude.append("agency")
        return exclude

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and self.agency_path == "agency" and not change:
            obj.agency = agency_of(request.user)
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For append-only records: visible, never changed or deleted from the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""Admin classes whose every save and delete is a service call that writes an audit line."""

from django.contrib import admin

from agencies.services import do_delete_record, do_save_record


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes, single or bulk, go through `save_with_service` / `delete_with_service`."""

    def save_model(self, request, obj, form, change):
        self.save_with_service(request, obj, form, change)

    def save_with_service(self, request, obj, form, change):
        do_save_record(request.user, obj, created=not change, fields=form.changed_data, request=request)

    def delete_model(self, request, obj):
        self.delete_with_service(request, obj)

    def delete_queryset(self, request, queryset):
        # One service call per row: a bulk delete writes one audit line per row, like single ones.
        for obj in queryset:
            self.delete_with_service(request, obj)

    def delete_with_service(self, request, obj):
        do_delete_record(request.user, obj, request=request)


class PlatformWritesAdmin:
    """Rows an agency admin may read (within their scope) but only the platform writes.

    A mixin, first in the bases, for model admins and inlines alike.
    """

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class SuperuserOnlyAdmin(PlatformWritesAdmin):
    """Rows no agency admin sees at all, whatever permissions they were given (keys, groups)."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

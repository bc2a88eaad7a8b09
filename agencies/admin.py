from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from agencies.models import AccessEvent, Agency, Incident, Membership
from rtcc.admin_scoping import AgencyScopedAdmin, ReadOnlyAdmin

User = get_user_model()


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin):
    agency_path = "pk"
    list_display = [
        "name",
        "slug",
        "time_zone",
        "incident_radius_m",
        "incident_camera_count",
        "retention_days",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    fk_name = "user"


@admin.register(Membership)
class MembershipAdmin(AgencyScopedAdmin):
    list_display = ["user", "agency", "role", "created_at"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username", "user__email", "agency__name"]
    list_select_related = ["user", "agency"]
    autocomplete_fields = ["user"]


@admin.register(Incident)
class IncidentAdmin(AgencyScopedAdmin):
    list_display = [
        "external_id",
        "kind",
        "priority",
        "address",
        "opened_at",
        "closed_at",
        "agency",
    ]
    list_filter = ["priority", ("closed_at", admin.EmptyFieldListFilter), "agency", "kind"]
    search_fields = ["external_id", "kind", "address"]
    date_hierarchy = "opened_at"
    list_select_related = ["agency"]


@admin.register(AccessEvent)
class AccessEventAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    list_display = [
        "at",
        "actor_name",
        "action",
        "target_label",
        "purpose",
        "case_number",
        "outcome",
        "source_ip",
    ]
    list_filter = ["action", "outcome", "agency", "target_type"]
    search_fields = ["actor_name", "target_label", "purpose", "case_number", "target_id"]
    date_hierarchy = "at"
    list_select_related = ["agency"]


class ScopedUserAdmin(UserAdmin):
    """Agency admins manage the users of their own agency and cannot grant themselves more."""

    inlines = [MembershipInline]
    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "agency_role",
    ]
    list_filter = [
        "is_active",
        "is_staff",
        "is_superuser",
        "membership__role",
        "membership__agency",
    ]
    list_select_related = ["membership__agency"]

    @admin.display(description="Role")
    def agency_role(self, user):
        membership = getattr(user, "membership", None)
        return f"{membership.get_role_display()}, {membership.agency.slug}" if membership else "-"

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        from agencies.access import agency_of

        agency = agency_of(request.user)
        return users.filter(membership__agency=agency) if agency else users.none()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "groups", "user_permissions"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return ["is_active", "is_staff", "membership__role"]


admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)
admin.site.site_header = "OpenRTCC administration"
admin.site.site_title = "OpenRTCC admin"


class SuperuserTokenAdmin(TokenAdmin):
    """API tokens are keys: their list is for superusers only, never for an agency admin."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser


admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, SuperuserTokenAdmin)

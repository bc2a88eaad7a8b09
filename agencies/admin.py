from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from agencies import admin_records  # noqa: F401 -- registers complaints, violations and breaches
from agencies.access import agency_of
from agencies.admin_audit import AuditedAdmin, SuperuserOnlyAdmin
from agencies.admin_scoping import AgencyScopedAdmin, ReadOnlyAdmin
from agencies.models import AccessEvent, Agency, Incident, Membership
from agencies.services import (
    PLATFORM_USER_FIELDS,
    do_admin_close_incident,
    do_admin_open_incident,
    do_record_access,
    do_record_password_set,
    do_remove_membership,
    do_save_membership,
    do_save_user,
)
from agencies.signin.admin import lift_sign_in_lock
from agencies.suspension import do_reinstate_agency, do_suspend_agency

User = get_user_model()


class OrderForm(forms.Form):
    order_reference = forms.CharField(max_length=100, help_text="The council's or court's order.")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdmin, AuditedAdmin):
    agency_path = "pk"
    list_display = [
        "name",
        "slug",
        "time_zone",
        "incident_radius_m",
        "incident_camera_count",
        "retention_days",
        "suspended_at",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # Where the agency is and its clock decide which residents' cameras it covers and when their
    # schedules open (a camera without a time zone uses the agency's): the platform's to set.
    PLATFORM_FIELDS = ["slug", "lat", "lon", "jurisdiction_radius_m", "time_zone"]

    # Set only by the suspension services, on an order (the "Suspension" link of the page).
    SUSPENSION_FIELDS = ["suspension"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj)) + self.SUSPENSION_FIELDS
        return readonly if request.user.is_superuser else readonly + self.PLATFORM_FIELDS

    @admin.display(description="Suspension")
    def suspension(self, agency):
        state = (
            f"Suspended since {agency.suspended_at:%Y-%m-%d %H:%M} by order {agency.suspension_order}: "
            f"{agency.suspension_reason}"
            if agency and agency.is_suspended
            else "Not suspended."
        )
        if agency is None or agency.pk is None:
            return state
        return format_html(
            '{} <a href="{}">Suspend or reinstate on an order</a>',
            state,
            reverse("admin:agencies_agency_suspension", args=[agency.pk]),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/suspension/",
                self.admin_site.admin_view(self.suspension_view),
                name="agencies_agency_suspension",
            ),
            *super().get_urls(),
        ]

    def suspension_view(self, request, pk: int):
        """A superuser suspends or reinstates the agency on a council's or court's order."""
        if not request.user.is_superuser:
            raise PermissionDenied("Suspension is the platform's, on an order.")
        agency = get_object_or_404(Agency, pk=pk)
        form = OrderForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            act = do_reinstate_agency if agency.is_suspended else do_suspend_agency
            try:
                agency = act(request.user, agency, request=request, **form.cleaned_data)
            except ValidationError as error:
                for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                done = "suspended" if agency.is_suspended else "reinstated"
                self.message_user(
                    request, f"{agency.name} is {done}; the audit line is written.", messages.SUCCESS
                )
                return redirect("admin:agencies_agency_change", agency.pk)
        context = {
            **self.admin_site.each_context(request),
            "agency": agency,
            "form": form,
            "title": f"{'Reinstate' if agency.is_suspended else 'Suspend'} {agency.name}",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/agencies/agency/suspension.html", context)

    def get_prepopulated_fields(self, request, obj=None):
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class MembershipInline(admin.StackedInline):
    """On the user page: an agency admin is offered their own agency only, and a new user needs one."""

    model = Membership
    can_delete = False
    fk_name = "user"
    fields = ["agency", "role"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "agency" and not request.user.is_superuser:
            # A POST naming another agency fails as an invalid choice.
            agency = agency_of(request.user)
            field.queryset = field.queryset.filter(pk=agency.pk if agency else None)
            field.empty_label = None
        return field

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is None and not request.user.is_superuser:
            # A user an agency admin creates belongs to their agency from the start.
            formset.min_num, formset.validate_min = 1, True
        return formset


@admin.register(Membership)
class MembershipAdmin(AgencyScopedAdmin):
    list_display = ["user", "agency", "role", "created_at"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username", "user__email", "agency__name"]
    list_select_related = ["user", "agency"]
    autocomplete_fields = ["user"]
    scoped_foreign_keys = {"user": "membership__agency"}

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            obj.agency = agency_of(request.user)
        do_save_membership(request.user, obj, created=not change, fields=form.changed_data, request=request)

    def delete_model(self, request, obj):
        do_remove_membership(request.user, obj, request=request)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user", "agency"):
            do_remove_membership(request.user, membership, request=request)


@admin.register(Incident)
class IncidentAdmin(AgencyScopedAdmin, AuditedAdmin):
    """Incidents open through the same service as CAD's; where and when they happened is CAD's record."""

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
    actions = ["close_incidents"]

    def get_readonly_fields(self, request, obj=None):
        # Moving an open incident would move which incident-radius consents it unlocks.
        return ["external_id", "lat", "lon", "opened_at", "closed_at"] if obj else ["opened_at", "closed_at"]

    def has_delete_permission(self, request, obj=None):
        # Viewing sessions and audit lines name incidents as their purpose.
        return request.user.is_superuser

    def save_with_service(self, request, obj, form, change):
        if change:
            return super().save_with_service(request, obj, form, change)
        fields = {
            name: getattr(obj, name) for name in ("external_id", "kind", "lat", "lon", "address", "priority")
        }
        obj.pk = do_admin_open_incident(request.user, obj.agency, request=request, **fields).pk

    @admin.action(description="Close the selected incidents", permissions=["change"])
    def close_incidents(self, request, queryset):
        closed = sum(
            do_admin_close_incident(request.user, incident, request=request)
            for incident in queryset.filter(closed_at__isnull=True)
        )
        self.message_user(request, f"Closed {closed} incidents.", messages.SUCCESS)


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
    """Agency admins manage the users of their own agency and cannot grant themselves more.

    Staff follows the agency-admin role (set by the membership service); superuser, groups and
    permissions are the platform's. Every save goes through `do_save_user`, which refuses
    them again whatever the form was made to carry.
    """

    inlines = [MembershipInline]
    actions = [lift_sign_in_lock]
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
        agency = agency_of(request.user)
        # A superuser with a membership is still the platform's: not theirs to edit or reset.
        return users.filter(membership__agency=agency, is_superuser=False) if agency else users.none()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in PLATFORM_USER_FIELDS]})
            for name, options in fieldsets
        ]

    def has_delete_permission(self, request, obj=None):
        # Agency admins deactivate; deleting an account is the platform's (audit lines keep the name).
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        do_save_user(request.user, obj, created=not change, fields=form.changed_data, request=request)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these, as Django's own formset.save() would set them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for membership_form in formset.forms:
            if not membership_form.has_changed():
                continue
            membership = membership_form.save(commit=False)
            membership.user = form.instance
            created = membership.pk is None
            do_save_membership(
                request.user,
                membership,
                created=created,
                fields=membership_form.changed_data,
                new_user=not change,
                request=request,
            )
            if created:
                formset.new_objects.append(membership)
            else:
                formset.changed_objects.append((membership, membership_form.changed_data))

    def delete_model(self, request, obj):
        with transaction.atomic():
            do_record_access(
                request.user, AccessEvent.Action.DELETION, obj, request=request, detail={"deleted": "user"}
            )
            obj.delete()

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302 and response.url.endswith("/change/"):
                user = self.get_object(request, id)
                do_record_password_set(request.user, user, request=request)
        return response

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return ["is_active", "is_staff", "membership__role"]


admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)


class PlatformGroupAdmin(SuperuserOnlyAdmin, GroupAdmin):
    """Groups carry permissions (the agency-admin role is one): only superusers see or edit them."""


admin.site.unregister(Group)
admin.site.register(Group, PlatformGroupAdmin)
admin.site.site_header = "OpenRTCC administration"
admin.site.site_title = "OpenRTCC admin"


class SuperuserTokenAdmin(SuperuserOnlyAdmin, TokenAdmin):
    """API tokens are keys: their list is for superusers only, never for an agency admin."""


admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, SuperuserTokenAdmin)

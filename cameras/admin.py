from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from guardian.admin import GuardedModelAdminMixin

from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Camera, Consent, PrivacyMask
from cameras.sources import check_pull_url
from rtcc.admin_scoping import AgencyScopedAdmin, ReadOnlyAdmin


class ConsentInline(admin.TabularInline):
    model = Consent
    fields = ["set_at", "level", "schedule", "expires_at", "incident_radius_m", "set_by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-set_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False


class PrivacyMaskInline(admin.TabularInline):
    model = PrivacyMask
    fields = ["label", "x", "y", "width", "height"]
    extra = 0


class CameraAdminForm(forms.ModelForm):
    class Meta:
        model = Camera
        fields = [
            "name",
            "description",
            "agency",
            "kind",
            "premises",
            "owner",
            "enabled",
            "lat",
            "lon",
            "address",
            "time_zone",
            "source",
            "source_url",
            "device",
        ]

    def clean(self):
        data = super().clean()
        source, url = data.get("source"), data.get("source_url", "")
        if source == Camera.Source.PULL:
            if data.get("kind") == Camera.Kind.PRIVATE:
                self.add_error("source", "A private camera reaches the hub only through an edge device.")
            try:
                data["source_url"] = check_pull_url(url)
            except ValidationError as error:
                self.add_error("source_url", error)
        elif url:
            self.add_error("source_url", "Only pull cameras have a URL; choose the pull source or clear it.")
        return data


@admin.register(Camera)
class CameraAdmin(GuardedModelAdminMixin, AgencyScopedAdmin):
    form = CameraAdminForm
    list_display = [
        "name",
        "kind",
        "premises",
        "status",
        "last_frame_at",
        "owner",
        "device",
        "agency",
        "enabled",
    ]
    list_filter = ["status", "kind", "premises", "source", "enabled", "agency"]
    search_fields = [
        "name",
        "address",
        "description",
        "owner__username",
        "owner__email",
        "device__serial",
    ]
    list_select_related = ["agency", "owner", "device"]
    readonly_fields = [
        "uuid",
        "stream_id",
        "status",
        "status_reason",
        "status_changed_at",
        "last_frame_at",
        "created_at",
        "updated_at",
    ]
    raw_id_fields = ["owner", "device"]
    inlines = [ConsentInline, PrivacyMaskInline]
    scoped_foreign_keys = {"device": "agency"}
    fieldsets = [
        (
            None,
            {"fields": ["name", "description", "agency", "kind", "premises", "owner", "enabled"]},
        ),
        ("Location", {"fields": ["lat", "lon", "address", "time_zone"]}),
        ("Source", {"fields": ["source", "source_url", "device", "uuid", "stream_id"]}),
        (
            "Status",
            {
                "fields": [
                    "status",
                    "status_reason",
                    "status_changed_at",
                    "last_frame_at",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "agency"]})
            for name, options in fieldsets
        ]


@admin.register(Consent)
class ConsentAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    agency_path = "camera__agency"
    list_display = ["camera", "level", "set_at", "expires_at", "set_by"]
    list_filter = ["level", "camera__agency"]
    search_fields = ["camera__name", "set_by__username", "note"]
    date_hierarchy = "set_at"
    list_select_related = ["camera", "set_by"]


@admin.register(PrivacyMask)
class PrivacyMaskAdmin(AgencyScopedAdmin):
    agency_path = "camera__agency"
    list_display = ["__str__", "camera", "x", "y", "width", "height", "created_at"]
    list_filter = ["camera__agency"]
    search_fields = ["camera__name", "label"]
    list_select_related = ["camera"]
    raw_id_fields = ["camera"]


class FootageExportInline(admin.TabularInline):
    model = FootageExport
    fields = [
        "camera",
        "file_path",
        "sha256",
        "size",
        "created_at",
        "delivered",
        "delivered_at",
        "deleted_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FootageRequest)
class FootageRequestAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    """Requests and their answers are made in the API and the portal; here they are read."""

    list_display = [
        "case_number",
        "camera",
        "start",
        "end",
        "status",
        "requested_by",
        "created_at",
        "answered_at",
    ]
    list_filter = ["status", "agency", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["case_number", "reason", "camera__name", "requested_by__username"]
    date_hierarchy = "created_at"
    list_select_related = ["camera", "requested_by", "agency"]
    inlines = [FootageExportInline]


@admin.register(FootageExport)
class FootageExportAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    agency_path = "request__agency"
    list_display = ["request", "camera", "sha256", "size", "created_at", "delivered", "deleted_at"]
    list_filter = ["delivered", ("deleted_at", admin.EmptyFieldListFilter), "request__agency"]
    search_fields = ["request__case_number", "camera__name", "sha256"]
    list_select_related = ["request", "camera"]

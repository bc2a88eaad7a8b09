from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GuardedModelAdminMixin,
)

from agencies.access import agency_of
from agencies.admin_audit import PlatformWritesAdmin
from agencies.admin_scoping import AgencyScopedAdmin, ReadOnlyAdmin
from cameras import admin_sharing  # noqa: F401 -- registers the shares' page
from cameras.access import cameras_visible_to
from cameras.admin_orders import order_urls
from cameras.footage.models import FootageExport, FootageRequest
from cameras.models import Camera, Consent, PrivacyMask
from cameras.services import (
    AGENCY_CAMERA_FIXED_FIELDS,
    OWNER_FIELDS,
    do_delete_agency_camera,
    do_override_camera_as_platform,
    do_save_camera,
    do_set_camera_grants,
    is_resident_camera,
    owner_decisions_changed,
)
from cameras.sources import check_pull_url

MASK_FIELDS = ["label", "x", "y", "width", "height"]


class VisibleCamerasAdmin(AgencyScopedAdmin):
    """Rows of cameras an agency admin may know of, as the API decides (`cameras_visible_to`).

    Agency scoping alone would show a resident's camera whose owner shares nothing.
    """

    camera_path = "camera"

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if request.user.is_superuser:
            return rows
        return rows.filter(**{f"{self.camera_path}__in": cameras_visible_to(request.user).values("pk")})


class ConsentInline(admin.TabularInline):
    model = Consent
    fields = ["set_at", "level", "schedule", "expires_at", "incident_radius_m", "set_by", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-set_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False


class PrivacyMaskFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.has_changed() and not (self.data.get("override_reason") or "").strip():
            raise ValidationError("Masks are the owner's: say why they are overridden (the owner is told).")


class PrivacyMaskInline(PlatformWritesAdmin, admin.TabularInline):
    """The owner's masks: read-only but to a superuser, whose change is a platform override."""

    model = PrivacyMask
    formset = PrivacyMaskFormSet
    fields = MASK_FIELDS
    extra = 0


class CameraAdminForm(forms.ModelForm):
    # Shown to superusers only: overriding an owner's decision needs a reason, and the owner is told.
    override_consent = forms.ChoiceField(
        label="Override consent",
        required=False,
        choices=[("", "Keep the owner's")] + Consent.Level.choices,
    )
    override_reason = forms.CharField(
        label="Reason for the override",
        required=False,
        max_length=300,
        help_text="Needed to change kind, owner, location, source, consent or masks of a resident's "
        "camera; written to the audit trail and mailed to the owner.",
    )
    platform_user = False

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
        overriding = data.get("override_consent") or (
            self.platform_user and set(OWNER_FIELDS) & set(self.changed_data) and self.touches_resident()
        )
        if overriding and not (data.get("override_reason") or "").strip():
            self.add_error(
                "override_reason", "Say why the owner's decision is overridden (the owner is told)."
            )
        if data.get("override_consent") and not self.instance.pk:
            self.add_error("override_consent", "Consent is recorded once the camera exists.")
        return data

    def touches_resident(self) -> bool:
        was = self.instance.pk and is_resident_camera(Camera.objects.get(pk=self.instance.pk))
        return bool(was or self.cleaned_data.get("kind", Camera.Kind.PUBLIC) != Camera.Kind.PUBLIC)


@admin.register(Camera)
class CameraAdmin(GuardedModelAdminMixin, AgencyScopedAdmin):
    """Cameras: an agency admin edits the agency's own; a resident's owner decisions are never theirs.

    Kind and owner are read-only to them on every camera, and on a resident's camera so is
    everything the consent rule reads (location, time zone, source, device). A superuser
    changes those through `do_override_camera_as_platform` only, with a reason.
    """

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
    search_fields = ["name", "address", "description", "owner__username", "owner__email", "device__serial"]
    list_select_related = ["agency", "owner", "device"]
    # What the relays and the clock keep: shown, never typed in.
    status_fields = [
        "status",
        "status_reason",
        "status_changed_at",
        "last_frame_at",
        "created_at",
        "updated_at",
    ]
    # `substream` is what the camera's box says it can push (devices/enrollment.py), not a choice.
    readonly_fields = ["uuid", "stream_id", "substream", *status_fields]
    raw_id_fields = ["owner", "device"]
    inlines = [ConsentInline, PrivacyMaskInline]
    scoped_foreign_keys = {"device": "agency"}
    fieldsets = [
        (
            None,
            {"fields": ["name", "description", "agency", "kind", "premises", "owner", "enabled"]},
        ),
        ("Location", {"fields": ["lat", "lon", "address", "time_zone"]}),
        (
            "Source",
            {"fields": ["source", "source_url", "device", "relay_mode", "uuid", "stream_id", "substream"]},
        ),
        ("Status", {"fields": status_fields}),
    ]

    def get_urls(self):
        # Before the model's own: its catch-all would take "deletion-order/" for an object id.
        return order_urls() + super().get_urls()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return [*fieldsets, ("Platform override", {"fields": ["override_consent", "override_reason"]})]
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "agency"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        locked = OWNER_FIELDS if obj is not None and is_resident_camera(obj) else AGENCY_CAMERA_FIXED_FIELDS
        return readonly + [name for name in locked if name != "agency"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "device" and field is not None and not request.user.is_superuser:
            # A resident's box carries only its owner's cameras; the agency's own boxes have no owner.
            field.queryset = field.queryset.filter(owner__isnull=True)
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.platform_user = request.user.is_superuser
        return form

    def get_queryset(self, request):
        cameras = super().get_queryset(request)
        if request.user.is_superuser:
            return cameras
        # The admin shows an agency admin what the API would: not a camera whose owner shares nothing.
        return cameras.filter(pk__in=cameras_visible_to(request.user).values("pk"))

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            # Agency staff add agency cameras; residents register theirs in the portal.
            obj.agency, obj.kind, obj.owner = agency_of(request.user), Camera.Kind.PUBLIC, None
        if request.user.is_superuser and self.is_override(form):
            return  # saved with its masks, in one service call, by save_related
        do_save_camera(request.user, obj, created=not change, fields=form.changed_data, request=request)

    def save_related(self, request, form, formsets, change):
        masks = self.changed_masks(formsets) if request.user.is_superuser else None
        if request.user.is_superuser and (masks is not None or self.is_override(form)):
            do_override_camera_as_platform(
                request.user,
                form.instance,
                reason=form.cleaned_data.get("override_reason", ""),
                fields=form.changed_data,
                consent_level=form.cleaned_data.get("override_consent") or None,
                masks=masks,
                request=request,
            )
            for formset in formsets:  # the admin's change message reads these
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_related(request, form, formsets, change)

    @staticmethod
    def is_override(form) -> bool:
        return bool(form.cleaned_data.get("override_consent") or owner_decisions_changed(form.instance))

    @staticmethod
    def changed_masks(formsets) -> list[dict] | None:
        for formset in formsets:
            if formset.model is PrivacyMask and formset.has_changed():
                return [
                    {name: mask_form.cleaned_data[name] for name in MASK_FIELDS}
                    for mask_form in formset.forms
                    if mask_form.cleaned_data and not mask_form.cleaned_data.get("DELETE")
                ]
        return None

    def delete_model(self, request, obj):
        do_delete_agency_camera(request.user, obj, request=request)

    def delete_queryset(self, request, queryset):
        for camera in queryset:
            do_delete_agency_camera(request.user, camera, request=request)

    def has_delete_permission(self, request, obj=None):
        # A resident's camera is deleted by its owner, in the portal, which keeps its consent history.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not is_resident_camera(obj))

    # Per-camera grants (django-guardian's pages) go through the service, which audits them.
    def get_obj_perms_manage_user_form(self, request):
        return granting_form(AdminUserObjectPermissionsForm, request, "user")

    def get_obj_perms_manage_group_form(self, request):
        return granting_form(AdminGroupObjectPermissionsForm, request, "group")


def granting_form(base, request, grantee_attr: str):
    class GrantForm(base):
        def save_obj_perms(self):
            perms = self.cleaned_data[self.get_obj_perms_field_name()]
            do_set_camera_grants(request.user, self.obj, getattr(self, grantee_attr), perms, request=request)

    return GrantForm


@admin.register(Consent)
class ConsentAdmin(VisibleCamerasAdmin, ReadOnlyAdmin):
    agency_path = "camera__agency"
    list_display = ["camera", "level", "set_at", "expires_at", "set_by"]
    list_filter = ["level", "camera__agency"]
    search_fields = ["camera__name", "set_by__username", "note"]
    date_hierarchy = "set_at"
    list_select_related = ["camera", "set_by"]


@admin.register(PrivacyMask)
class PrivacyMaskAdmin(VisibleCamerasAdmin, ReadOnlyAdmin):
    """Masks are read here; a superuser overrides them on the camera's page, with a reason."""

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

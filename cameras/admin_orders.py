"""Admin pages for premises rules, evidence holds and deletion orders; each write is a service call."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from agencies.access import agency_of
from agencies.admin_scoping import AgencyScopedAdmin, CheckedWhenAdded, NewRowsInOwnAgency
from agencies.models import AccessEvent, Agency
from cameras.access import cameras_visible_to
from cameras.footage.deletion_orders import certificate_document, do_carry_out_deletion_order
from cameras.footage.holds import check_hold_input, do_place_evidence_hold, do_release_evidence_hold
from cameras.footage.models import EvidenceHold
from cameras.models import Camera
from cameras.premises import PremisesRule, cameras_a_rule_forbids
from cameras.services import do_delete_premises_rule, do_save_premises_rule

# The list of cameras a rule forbids is for reading, not for paging through thousands.
FORBIDDEN_SHOWN = 200


class PremisesRuleForm(forms.ModelForm):
    # The agency a new rule of an agency admin will belong to (the form has no agency field for them).
    agency_for_new: int | None = None

    def clean(self):
        data = super().clean()
        agency = data.get("agency")
        agency_id = agency.pk if agency else (self.instance.agency_id or self.agency_for_new)
        taken = PremisesRule.objects.filter(agency_id=agency_id, premises=data.get("premises"))
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            self.add_error(
                "premises", "The agency has a rule for this premises type already: change that one."
            )
        return data


@admin.register(PremisesRule)
class PremisesRuleAdmin(NewRowsInOwnAgency, AgencyScopedAdmin):
    """An agency's ordinance per premises type; the page lists the cameras it forbids now."""

    form = PremisesRuleForm
    list_display = ["agency", "premises", "highest_level", "reason", "forbidden_count", "updated_at"]
    list_filter = ["premises", "highest_level", "agency"]
    readonly_fields = ["updated_at", "cameras_forbidden"]

    @admin.display(description="Cameras it forbids now")
    def forbidden_count(self, rule):
        return cameras_a_rule_forbids(rule).count()

    @admin.display(description="Cameras whose owners share more than this rule accepts")
    def cameras_forbidden(self, rule):
        if rule is None or rule.pk is None:
            return "Saved rules list them here."
        cameras = cameras_a_rule_forbids(rule)[:FORBIDDEN_SHOWN]
        if not cameras:
            return "None."
        # Text only, escaped: camera names are residents' words.
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} (camera {}): owner shares {}</li>",
                ((c.name, c.pk, c.consent_level) for c in cameras),
            ),
        )

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            obj.agency = agency_of(request.user)
        do_save_premises_rule(
            request.user, obj, created=not change, fields=form.changed_data, request=request
        )

    def delete_model(self, request, obj):
        do_delete_premises_rule(request.user, obj, request=request)

    def delete_queryset(self, request, queryset):
        for rule in queryset.select_related("agency"):
            do_delete_premises_rule(request.user, rule, request=request)


class EvidenceHoldForm(CheckedWhenAdded):
    def check_new(self, data):
        check_hold_input(data.get("start"), data.get("end"), data.get("case_number"), data.get("reason"))


@admin.register(EvidenceHold)
class EvidenceHoldAdmin(AgencyScopedAdmin):
    """Holds are placed here and released by giving a reason; a hold is never edited or deleted."""

    form = EvidenceHoldForm
    list_display = ["case_number", "camera", "start", "end", "placed_by", "placed_at", "released_at"]
    list_filter = [("released_at", admin.EmptyFieldListFilter), "agency"]
    search_fields = ["case_number", "reason", "camera__name"]
    list_select_related = ["camera", "placed_by"]
    raw_id_fields = ["camera"]

    PLACED = ["camera", "start", "end", "case_number", "reason"]
    RECORD = ["placed_by", "placed_at", "released_by", "released_at"]

    def get_fields(self, request, obj=None):
        return self.PLACED if obj is None else [*self.PLACED, *self.RECORD, "release_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Placed holds are never edited: writing a release reason and saving releases one.
        return [*self.PLACED, *self.RECORD] + (["release_reason"] if obj.released_at else [])

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "release_reason" and field is not None:
            field.help_text = "Write why the hold ends (for example: case closed), then save, to release it."
        return field

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            camera = obj.camera
            if (
                not request.user.is_superuser
                and not cameras_visible_to(request.user).filter(pk=camera.pk).exists()
            ):
                raise PermissionDenied("You hold only your agency's cameras.")
            placed = do_place_evidence_hold(
                request.user,
                camera,
                start=obj.start,
                end=obj.end,
                case_number=obj.case_number,
                reason=obj.reason,
                request=request,
            )
            obj.pk = placed.pk
        elif form.cleaned_data.get("release_reason"):
            do_release_evidence_hold(
                request.user, obj, reason=form.cleaned_data["release_reason"], request=request
            )


class DeletionOrderForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.all())
    camera = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="A camera id: only its footage. Empty: every camera of the agency.",
    )
    order_reference = forms.CharField(max_length=100)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label="I understand the footage is deleted for good (held footage is kept).", required=True
    )


def deletion_order_view(request):
    """A superuser deletes stored footage on an order; the certificate follows."""
    if not request.user.is_superuser:
        raise PermissionDenied("Deletion orders are the platform's.")
    form = DeletionOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        camera = None
        if data["camera"]:
            camera = Camera.objects.filter(pk=data["camera"]).first()
            if camera is None:
                form.add_error("camera", "No camera has this id.")
        if not form.errors:
            try:
                line = do_carry_out_deletion_order(
                    request.user,
                    data["agency"],
                    camera=camera,
                    order_reference=data["order_reference"],
                    reason=data["reason"],
                    request=request,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    f"Deleted {line.detail['files']} files ({line.detail['bytes']} bytes); "
                    f"certificate: audit line {line.sequence}.",
                )
                return redirect("admin:cameras_deletion_certificate", line.pk)
    context = {**admin.site.each_context(request), "form": form, "title": "Deletion order"}
    return TemplateResponse(request, "admin/cameras/deletion_order.html", context)


def deletion_certificate_view(request, pk: int):
    """The certificate as a JSON download, for superusers in the admin."""
    if not request.user.is_superuser:
        raise PermissionDenied("Deletion orders are the platform's.")
    line = get_object_or_404(AccessEvent, pk=pk, action=AccessEvent.Action.DELETION_ORDER)
    response = HttpResponse(json.dumps(certificate_document(line), indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="deletion-certificate-{line.sequence}.json"'
    return response


def order_urls() -> list:
    """Mounted by the camera admin (under /admin/cameras/camera/)."""
    return [
        path("deletion-order/", admin.site.admin_view(deletion_order_view), name="cameras_deletion_order"),
        path(
            "deletion-order/<int:pk>.json",
            admin.site.admin_view(deletion_certificate_view),
            name="cameras_deletion_certificate",
        ),
    ]

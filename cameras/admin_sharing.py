"""Admin page for shares between agencies: given and revoked through the service, each audited."""

from django.contrib import admin
from django.contrib.admin.widgets import ManyToManyRawIdWidget
from django.core.exceptions import ValidationError
from django.db.models import Q

from agencies.access import agency_of
from agencies.admin_scoping import CheckedWhenAdded, NewRowsInOwnAgency
from agencies.models import Agency
from cameras.models import Camera
from cameras.sharing.models import CameraShare
from cameras.sharing.services import check_share_input, do_revoke_share, do_share_cameras


class CameraShareForm(CheckedWhenAdded):
    # The agency a new share of an agency admin comes from (their form has no such field).
    agency_for_new: int | None = None

    def check_new(self, data):
        from_agency = data.get("from_agency") or Agency.objects.filter(pk=self.agency_for_new).first()
        if from_agency is None:
            raise ValidationError("Only an agency's admin shares its cameras.")
        _, to_agency, camera_ids, given = share_arguments(data)
        check_share_input(from_agency, to_agency, camera_ids, **given)


def share_arguments(data) -> tuple:
    """(from agency or None, to agency, camera ids, the other fields) of the form's cleaned data."""
    given = {
        name: data.get(name) for name in ("starts_at", "ends_at", "purpose", "authority", "live", "recorded")
    }
    return (
        data.get("from_agency"),
        data.get("to_agency"),
        [camera.pk for camera in data.get("cameras") or []],
        given,
    )


@admin.register(CameraShare)
class CameraShareAdmin(NewRowsInOwnAgency):
    """An agency admin shares their agency's own cameras and revokes by giving a reason; shares received are read."""

    form = CameraShareForm
    list_display = ["__str__", "starts_at", "ends_at", "live", "recorded", "revoked_at"]
    list_filter = ["live", "recorded", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["purpose", "authority", "to_agency__name", "from_agency__name"]
    list_select_related = ["from_agency", "to_agency"]
    filter_horizontal = ["cameras"]

    GIVEN = ["to_agency", "cameras", "starts_at", "ends_at", "purpose", "authority", "live", "recorded"]
    RECORD = ["from_agency", "created_by", "created_at", "revoked_by", "revoked_at", "closed_at"]

    def get_queryset(self, request):
        shares = super().get_queryset(request)
        if request.user.is_superuser:
            return shares
        agency = agency_of(request.user)
        return shares.filter(Q(from_agency=agency) | Q(to_agency=agency)) if agency else shares.none()

    def get_fields(self, request, obj=None):
        if obj is None:
            return (["from_agency"] if request.user.is_superuser else []) + self.GIVEN
        return [*self.RECORD, *self.GIVEN, "revoke_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A share is never edited: writing a reason and saving revokes it (only its giver may).
        revocable = obj.revoked_at is None and obj.closed_at is None and self.gives(request, obj)
        return [*self.RECORD, *self.GIVEN] + ([] if revocable else ["revoke_reason"])

    @staticmethod
    def gives(request, share) -> bool:
        agency = agency_of(request.user)
        return request.user.is_superuser or (agency is not None and agency.pk == share.from_agency_id)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "cameras" and not request.user.is_superuser:
            kwargs["queryset"] = Camera.objects.filter(
                agency=agency_of(request.user), kind=Camera.Kind.PUBLIC
            )
        elif db_field.name == "cameras":
            # Every agency's cameras: ids typed or picked from the camera list, not one select of the whole fleet.
            kwargs["queryset"] = Camera.objects.filter(kind=Camera.Kind.PUBLIC)
            kwargs["widget"] = ManyToManyRawIdWidget(db_field.remote_field, self.admin_site)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "to_agency" and not request.user.is_superuser:
            kwargs["queryset"] = Agency.objects.exclude(pk=getattr(agency_of(request.user), "pk", None))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or self.gives(request, obj))

    def has_delete_permission(self, request, obj=None):
        return False  # a share ends by revocation or expiry; the row stays for the reports

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            from_agency, to_agency, camera_ids, given = share_arguments(data)
            from_agency = from_agency or agency_of(request.user)
            share = do_share_cameras(
                request.user, from_agency, to_agency, camera_ids, request=request, **given
            )
            obj.pk, obj.from_agency = share.pk, share.from_agency
        elif data.get("revoke_reason"):
            do_revoke_share(request.user, obj, reason=data["revoke_reason"], request=request)

    def save_related(self, request, form, formsets, change):
        pass  # the cameras were set by the service, and a share's cameras never change

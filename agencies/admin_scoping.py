"""Agency scoping for the admin: an agency admin sees and edits only their agency's rows."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

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


def show_refusal_on_form(form, check) -> None:
    """Run a service's own check in a form's clean(), so that a refusal shows on the form, not as an error page."""
    try:
        check()
    except ValidationError as error:
        refusals = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
        for field, messages in refusals.items():
            if field in form.fields and field not in form.errors:
                form.add_error(field, messages)
            elif field not in form.fields:
                form.add_error(None, messages)


class NewRowsInOwnAgency(admin.ModelAdmin):
    """The form of an agency admin knows which agency a new row will belong to (their form has no agency field)."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_superuser:
            return form
        agency = agency_of(request.user)
        return type(form.__name__, (form,), {"agency_for_new": agency.pk if agency else None})


class CheckedWhenAdded(forms.ModelForm):
    """A new row's form runs its service's own check (`check_new`), so that a refusal shows on the form."""

    def check_new(self, data) -> None:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            show_refusal_on_form(self, lambda: self.check_new(data))
        return data

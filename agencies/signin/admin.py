"""What the admin offers about signing in: lifting a lock, on the user list."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from agencies.signin.services import do_lift_lockout


@admin.action(description="Lift the sign-in lock of the selected users", permissions=["change"])
def lift_sign_in_lock(modeladmin, request, queryset):
    lifted = 0
    for user in queryset:
        try:
            lifted += do_lift_lockout(request.user, user, request=request)
        except PermissionDenied as refusal:
            modeladmin.message_user(request, f"{user}: {refusal}", messages.ERROR)
    modeladmin.message_user(request, f"Lifted {lifted} sign-in lock(s); the others had none.")

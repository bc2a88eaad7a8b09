"""Access follows the account at once: signing out, deactivation, a changed password or a removed
membership ends the person's sessions, tokens and sockets, wherever the change was made."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from agencies.models import Membership
from agencies.signin import sessions
from agencies.signin.services import do_end_access
from agencies.signin.sockets import close_sockets_of

User = get_user_model()
ACCESS_FIELDS = {"is_active", "password"}


@receiver(user_logged_in)
def stamp_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session)


@receiver(user_logged_out)
def end_access_on_sign_out(sender, request, user, **kwargs):
    if user is not None:
        do_end_access(user, reason="signed_out")


@receiver(pre_save, sender=User)
def note_access_fields(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not ACCESS_FIELDS & set(update_fields):
        return  # last_login and the like: nothing that changes access
    instance._rtcc_access_before = User.objects.filter(pk=instance.pk).values(*ACCESS_FIELDS).first()


@receiver(post_save, sender=User)
def end_access_on_account_change(sender, instance, created, **kwargs):
    before = instance.__dict__.pop("_rtcc_access_before", None)
    if created or not before:
        return
    if before["is_active"] and not instance.is_active:
        do_end_access(instance, reason="deactivated", audit=True)
    elif before["password"] != instance.password:
        # The session that changed it carries on: Django moves it to a new key afterwards.
        do_end_access(instance, reason="password_changed")


@receiver(post_delete, sender=Membership)
def end_access_on_leaving_agency(sender, instance, **kwargs):
    do_end_access(instance.user, reason="membership_removed", audit=True)


@receiver(pre_save, sender=Membership)
def note_role(sender, instance, raw=False, **kwargs):
    if not raw and instance.pk is not None:
        instance._rtcc_role_before = (
            Membership.objects.filter(pk=instance.pk).values_list("agency_id", "role").first()
        )


@receiver(post_save, sender=Membership)
def reconnect_on_role_change(sender, instance, created, **kwargs):
    before = instance.__dict__.pop("_rtcc_role_before", None)
    if before is not None and before != (instance.agency_id, instance.role):
        # Open walls reconnect and are judged by the new role (which may refuse them).
        close_sockets_of(instance.user_id)

"""Every change that can decide a media request bumps its scope's generation on commit.

The stored decisions of `cameras/media/authorization_cache.py` are only as good as this
list; it follows the checks of `check_live_media` one by one:

- the camera row and its consent rows (enabled, source, agency, kind, owner; the newest
  consent's level, schedule, expiry): the camera's generation;
- the requester's account (active, superuser, groups), membership and viewing sessions:
  the user's generation (a session is opened and closed through the services, and closed
  with a conditional UPDATE, which bumps explicitly in `do_close_viewing_session`);
- the agency row (any field: suspension, time zone), its contracts, its premises rules,
  and its incidents, which incident-radius consents are checked against: the agency's
  generation, which covers all its cameras and members at once;
- per-camera grants (django-guardian), to a user or a group: everything, as they are rare;
- shares between agencies: the receiving agency's generation and each shared camera's,
  bumped by `cameras.sharing.services` on giving and revoking (a share's window ending is
  a deadline, `cameras/media/deadlines.py`).

Model signals catch every `save()` and `delete()`, in the admin as in the services; the
few changes made with a queryset UPDATE bump where they are made.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from guardian.models import GroupObjectPermission, UserObjectPermission

from agencies.incidents import incident_closed
from agencies.models import Agency, Incident, Membership
from billing.models import Contract
from cameras.media.authorization_cache import (
    agency_scope,
    bump_on_commit,
    camera_scope,
    everything_scope,
    user_scope,
)
from cameras.models import Camera, Consent
from cameras.premises import PremisesRule
from cameras.viewing.models import ViewingSession

User = get_user_model()


# Each model whose rows decide media requests, and how a row names the scope it belongs to. A
# camera's status and frame times are written with UPDATE (cameras/relay/status.py), so a
# relay's heartbeat does not bump; an edit, a move or a delete does.
SCOPE_OF_ROW = {
    Camera: lambda row: camera_scope(row.pk),
    Consent: lambda row: camera_scope(row.camera_id),
    Agency: lambda row: agency_scope(row.pk),
    Contract: lambda row: agency_scope(row.agency_id),
    PremisesRule: lambda row: agency_scope(row.agency_id),
    Incident: lambda row: agency_scope(row.agency_id),
    Membership: lambda row: user_scope(row.user_id),
    User: lambda row: user_scope(row.pk),
    ViewingSession: lambda row: user_scope(row.user_id),
}


def row_changed(sender, instance, **kwargs):
    bump_on_commit(SCOPE_OF_ROW[sender](instance))


for model in SCOPE_OF_ROW:
    for signal in (post_save, post_delete):
        signal.connect(row_changed, sender=model, dispatch_uid=f"media-auth-{model._meta.label_lower}")


@receiver(incident_closed, dispatch_uid="media-auth-incident-closed")
def incident_was_closed(sender, incident, **kwargs):
    # Closed with a conditional UPDATE (agencies/incidents.py): no post_save.
    bump_on_commit(agency_scope(incident.agency_id))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="media-auth-user-groups")
def user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # group.user_set changed: instance is the group
        bump_on_commit(*(user_scope(pk) for pk in pk_set or ()))
        if action == "post_clear":
            bump_on_commit(everything_scope())
    else:
        bump_on_commit(user_scope(instance.pk))


@receiver([post_save, post_delete], sender=UserObjectPermission, dispatch_uid="media-auth-user-grant")
@receiver([post_save, post_delete], sender=GroupObjectPermission, dispatch_uid="media-auth-group-grant")
def grant_changed(sender, instance, **kwargs):
    bump_on_commit(everything_scope())

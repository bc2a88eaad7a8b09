"""End viewing sessions the moment their camera may no longer be seen."""

from django.dispatch import receiver

from agencies.suspension import agency_suspension_changed
from cameras.services import cameras_access_changed, consent_changed
from cameras.viewing.services import do_end_sessions_that_lapsed


@receiver(consent_changed, dispatch_uid="viewing-consent-changed")
def end_sessions_on_consent_change(sender, camera_id, **kwargs):
    # Sent after commit: the sessions are ended in their own transaction, with the reason.
    do_end_sessions_that_lapsed(camera_ids=[camera_id])


@receiver(agency_suspension_changed, dispatch_uid="viewing-agency-suspended")
def end_sessions_on_suspension(sender, agency_id, suspended, **kwargs):
    # Its own members' looks at any camera, and anyone's look at its cameras.
    if suspended:
        do_end_sessions_that_lapsed(agency_id=agency_id)


@receiver(cameras_access_changed, dispatch_uid="viewing-cameras-access-changed")
def end_sessions_on_access_change(sender, camera_ids, **kwargs):
    do_end_sessions_that_lapsed(camera_ids=camera_ids)

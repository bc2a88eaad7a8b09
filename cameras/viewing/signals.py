"""End viewing sessions the moment their camera may no longer be seen."""

from django.dispatch import receiver

from cameras.services import consent_changed
from cameras.viewing.services import do_end_sessions_that_lapsed


@receiver(consent_changed, dispatch_uid="viewing-consent-changed")
def end_sessions_on_consent_change(sender, camera_id, **kwargs):
    # Sent after commit: the sessions are ended in their own transaction, with the reason.
    do_end_sessions_that_lapsed(camera_ids=[camera_id])

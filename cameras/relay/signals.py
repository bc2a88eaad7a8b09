"""Receivers that wake the relay nodes when what may be relayed changes."""

from django.dispatch import receiver

from cameras.relay.wake import wake_nodes
from cameras.services import consent_changed


@receiver(consent_changed, dispatch_uid="relay-consent-changed")
def wake_relay_nodes_on_consent(sender, camera_id, **kwargs):
    # Sent after commit already: a node woken now reads the new consent.
    wake_nodes(camera_id)

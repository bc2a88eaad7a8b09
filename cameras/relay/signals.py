"""Receivers that wake the relay nodes when what may be relayed changes."""

from django.dispatch import receiver

from agencies.suspension import agency_suspension_changed
from cameras.relay.wake import wake_nodes
from cameras.services import cameras_access_changed, consent_changed


@receiver(consent_changed, dispatch_uid="relay-consent-changed")
def wake_relay_nodes_on_consent(sender, camera_id, **kwargs):
    # Sent after commit already: a node woken now reads the new consent.
    wake_nodes(camera_id)


@receiver(agency_suspension_changed, dispatch_uid="relay-agency-suspended")
def wake_relay_nodes_on_suspension(sender, agency_id, **kwargs):
    # One message: every node re-reads the whole desired state on any wake.
    wake_nodes()


@receiver(cameras_access_changed, dispatch_uid="relay-cameras-access-changed")
def wake_relay_nodes_on_rule(sender, camera_ids, **kwargs):
    wake_nodes()

"""Receivers that wake the relay nodes when what may be relayed changes."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from agencies.suspension import agency_suspension_changed
from billing.models import Contract
from cameras.media.thumbnails import forget_thumbnail
from cameras.models import Camera, Consent
from cameras.relay.wake import wake_nodes
from cameras.services import cameras_access_changed


@receiver(agency_suspension_changed, dispatch_uid="relay-agency-suspended")
def wake_relay_nodes_on_suspension(sender, agency_id, **kwargs):
    # One message: every node re-reads the whole desired state on any wake.
    wake_nodes()


@receiver(cameras_access_changed, dispatch_uid="relay-cameras-access-changed")
def wake_relay_nodes_on_rule(sender, camera_ids, **kwargs):
    wake_nodes()


# Between full reconciles a node decides only the cameras it relays and the ones a wake names
# (cameras/relay/node.py: desired_now). Every consent row and camera saved, through the services
# (`do_set_consent` appends a Consent row) or outside them (the admin, a test), is named here once.


@receiver(post_save, sender=Camera, dispatch_uid="relay-camera-saved")
@receiver(post_save, sender=Consent, dispatch_uid="relay-consent-saved")
def wake_relay_nodes_on_save(sender, instance, **kwargs):
    camera_id = instance.pk if sender is Camera else instance.camera_id
    transaction.on_commit(lambda: wake_nodes(camera_id))
    if sender is Consent:
        # No live pixels kept from under an earlier consent (a revoke, a lowered level): the
        # box's idle thumbnail goes too, and a new one is asked for if the camera is idle again.
        transaction.on_commit(lambda: forget_thumbnail(camera_id))


@receiver(post_save, sender=Contract, dispatch_uid="relay-contract-saved")
def wake_relay_nodes_on_contract(sender, instance, **kwargs):
    # A contract decides for every camera of its agency: every node reads everything again.
    transaction.on_commit(wake_nodes)

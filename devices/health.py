"""A box that misses two heartbeats is offline; its owner and the agency's admins are told.

The sweep moves each late box with a conditional UPDATE (devices.states), so a box is
reported offline once however many sweeps run, and a heartbeat that arrives meanwhile wins
or loses cleanly. Mail goes out after the transaction commits.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from agencies.models import Membership
from devices.enrollment import HEARTBEAT_INTERVAL_S
from devices.models import Device
from devices.states import do_change_state

logger = logging.getLogger(__name__)
MISSED_HEARTBEATS = 2
# A heartbeat a few seconds late (a slow network, a loaded hub) is not a missed one.
GRACE_S = 10


def offline_cutoff(now=None):
    now = now or timezone.now()
    return now - timedelta(seconds=MISSED_HEARTBEATS * HEARTBEAT_INTERVAL_S + GRACE_S)


def late_devices(now=None):
    return Device.objects.filter(state=Device.State.ONLINE, last_heartbeat_at__lt=offline_cutoff(now))


def do_mark_offline_devices(now=None) -> int:
    """Mark every box that missed two heartbeats offline and tell its people; returns how many."""
    marked = 0
    for device in late_devices(now).select_related("agency", "owner"):
        with transaction.atomic():
            if do_change_state(
                device, Device.State.OFFLINE, detail={"last_heartbeat_at": str(device.last_heartbeat_at)}
            ):
                marked += 1
                transaction.on_commit(lambda device=device: send_offline_mail(device))
    return marked


def offline_recipients(device: Device) -> list[str]:
    """The owner and the admins of the box's agency, each once, those with an address."""
    addresses = []
    if device.owner is not None:
        addresses.append(device.owner.email)
    if device.agency_id is not None:
        addresses += Membership.objects.filter(
            agency_id=device.agency_id, role=Membership.Role.ADMIN, user__is_active=True
        ).values_list("user__email", flat=True)
    return list(dict.fromkeys(address for address in addresses if address))


def send_offline_mail(device: Device) -> int:
    recipients = offline_recipients(device)
    if not recipients:
        return 0
    context = {"device": device, "site_name": settings.SITE_NAME, "cameras": device.cameras.order_by("name")}
    try:
        return send_mail(
            subject=f"Edge device {device.serial} is offline",
            message=render_to_string("devices/offline_mail.txt", context),
            from_email=None,
            recipient_list=recipients,
        )
    except (OSError, smtplib.SMTPException):
        # The box is marked offline either way (the admin list shows it); one mail server
        # hiccup must not hold up the other boxes of this sweep.
        logger.exception("could not mail that device %s is offline", device.serial)
        return 0

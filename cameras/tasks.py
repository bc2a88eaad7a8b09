"""Celery tasks of the cameras domain.

Relays themselves do not run in Celery tasks (docs/relay-fleet.md explains why): a relay
node is its own long-lived process. These tasks keep the fleet's picture honest when no
node is there to do it, and keep retention, footage requests and viewing sessions on time.
"""

from celery import shared_task
from django.utils import timezone

from cameras.footage.services import do_expire_lapsed_requests
from cameras.relay.node import sweep_orphaned_statuses
from cameras.retention import do_prune_recordings
from cameras.viewing.services import do_end_sessions_that_lapsed

RETRIES = {
    "ignore_result": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 3,
}


@shared_task(**RETRIES)
def sweep_orphaned_relays() -> int:
    """Mark cameras shown as relayed but held by no live node offline; idempotent."""
    return sweep_orphaned_statuses(timezone.now())


@shared_task(**RETRIES)
def prune_recordings() -> int:
    """Delete recordings past each agency's retention, with an audit line per camera; idempotent."""
    return do_prune_recordings()


@shared_task(**RETRIES)
def expire_footage_requests() -> int:
    """Close footage requests nobody answered in time; idempotent."""
    return do_expire_lapsed_requests()


@shared_task(**RETRIES)
def end_lapsed_viewing_sessions() -> int:
    """End viewing sessions past their expiry or on cameras no longer shared live; idempotent."""
    return do_end_sessions_that_lapsed()

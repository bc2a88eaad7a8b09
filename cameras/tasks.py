"""Celery tasks of the cameras domain.

Relays themselves do not run in Celery tasks (docs/relay-fleet.md explains why): a relay
node is its own long-lived process. These tasks keep the fleet's picture honest when no
node is there to do it.
"""

from celery import shared_task
from django.utils import timezone


@shared_task(
    ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, retry_jitter=True, max_retries=3
)
def sweep_orphaned_relays() -> int:
    """Mark cameras shown as relayed but held by no live node offline; idempotent."""
    from cameras.relay.node import sweep_orphaned_statuses

    return sweep_orphaned_statuses(timezone.now())


@shared_task(
    ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, retry_jitter=True, max_retries=3
)
def wake_relay_nodes(camera_id: int) -> None:
    """Ask the relay nodes to re-check one camera now (a consent, schedule or contract change)."""
    from cameras.relay.wake import wake_nodes

    wake_nodes(camera_id)


@shared_task(
    ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, retry_jitter=True, max_retries=3
)
def prune_recordings() -> int:
    """Delete recordings past each agency's retention, with an audit line per camera; idempotent."""
    from cameras.retention import do_prune_recordings

    return do_prune_recordings()


@shared_task(
    ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, retry_jitter=True, max_retries=3
)
def expire_footage_requests() -> int:
    """Close footage requests nobody answered in time; idempotent."""
    from cameras.footage.services import do_expire_lapsed_requests

    return do_expire_lapsed_requests()

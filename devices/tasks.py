"""Celery tasks of the devices domain."""

from celery import shared_task

from devices.health import do_mark_offline_devices
from devices.uploads import do_request_box_uploads


@shared_task(
    ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, retry_jitter=True, max_retries=3
)
def mark_offline_devices() -> int:
    """Mark boxes that missed two heartbeats offline and tell their owners and agencies; idempotent."""
    return do_mark_offline_devices()


@shared_task(
    ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, retry_jitter=True, max_retries=3
)
def request_box_uploads() -> int:
    """Ask boxes for the recordings of approved footage requests on their cameras; idempotent."""
    return do_request_box_uploads()

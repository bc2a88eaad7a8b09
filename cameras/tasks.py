"""Celery tasks of the cameras domain.

Relays themselves do not run in Celery tasks (docs/relay-fleet.md explains why): a relay
node is its own long-lived process. These tasks keep the fleet's picture honest when no
node is there to do it, and keep retention, footage requests and viewing sessions on time.
"""

from celery import shared_task

from cameras.footage.services import do_expire_lapsed_requests
from cameras.relay.node import sweep_orphaned_statuses
from cameras.retention import do_prune_recordings
from cameras.sharing.services import do_close_lapsed_shares
from cameras.viewing.services import do_end_sessions_that_lapsed

RETRIES = {
    "ignore_result": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_jitter": True,
    "max_retries": 3,
}


def idempotent_task(name: str, service, doc: str):
    """A beat task `cameras.tasks.<name>` that runs `service()` and returns what it counted.

    Each is safe to run at any time and twice: it acts on the rows' state, not on a message.
    """

    def task() -> int:
        return service()

    task.__name__ = task.__qualname__ = name
    task.__doc__ = doc
    return shared_task(name=f"cameras.tasks.{name}", **RETRIES)(task)


sweep_orphaned_relays = idempotent_task(
    "sweep_orphaned_relays",
    sweep_orphaned_statuses,
    "Mark cameras shown as relayed but held by no live node offline.",
)
prune_recordings = idempotent_task(
    "prune_recordings",
    do_prune_recordings,
    "Delete recordings past each agency's retention, with an audit line per camera.",
)
expire_footage_requests = idempotent_task(
    "expire_footage_requests", do_expire_lapsed_requests, "Close footage requests nobody answered in time."
)
end_lapsed_viewing_sessions = idempotent_task(
    "end_lapsed_viewing_sessions",
    do_end_sessions_that_lapsed,
    "End viewing sessions past their expiry or on cameras no longer shared live.",
)
close_lapsed_shares = idempotent_task(
    "close_lapsed_shares",
    do_close_lapsed_shares,
    "End the viewing and wall tiles of shares between agencies whose window ran out.",
)

"""The camera's relay status as the wall sees it: stored on the camera, sent to its agency."""

import asyncio
import concurrent.futures
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cameras.events import agency_group, send_to_agency
from cameras.models import Camera
from cameras.sharing.fanout import fan_out
from cameras.wall.batches import batch_by_agency
from rtcc.bulk import update_each

logger = logging.getLogger(__name__)

IDLE_REASON = "Sent only while someone watches; opening it starts the video."
# The box's owner paused it (its local switch): stored as `offline` with this reason, and shown so.
PAUSED_REASON = "Paused by its owner on the edge box; the agency cannot turn it back on."
AT_REST = {Camera.Status.OFFLINE, Camera.Status.STOPPED}


def shown_status(camera: Camera, refusal: str) -> tuple[str, str]:
    """The status a viewer sees: an on-demand camera that may be seen but is not relayed is idle.

    Stored statuses say what the relays did; an on-demand camera nobody has opened yet was
    never relayed, and "offline" would tell a dispatcher it cannot be opened.
    """
    if (
        camera.relay_mode == Camera.RelayMode.ON_DEMAND
        and not refusal
        and camera.status in AT_REST
        and camera.status_reason != PAUSED_REASON
    ):
        return Camera.Status.IDLE, IDLE_REASON
    return camera.status, camera.status_reason


def status_event(camera) -> dict:
    return {
        "type": "camera.status",
        "camera_id": camera.pk,
        "status": camera.status,
        "status_reason": camera.status_reason,
        "last_frame_at": camera.last_frame_at.isoformat() if camera.last_frame_at else None,
        "snapshot_version": camera.snapshot_version,
    }


@transaction.atomic
def do_set_camera_status(camera_id: int, status: str, reason: str = "") -> bool:
    """Store a new status and tell the agency's walls after commit; False when nothing changed."""
    reason = reason[:300]
    # Conditional: a repeated status writes nothing and sends nothing, and the status is
    # never read first, so two writers cannot both announce a change.
    changed = (
        Camera.objects.filter(pk=camera_id)
        .exclude(Q(status=status) & Q(status_reason=reason))
        .update(status=status, status_reason=reason, status_changed_at=timezone.now())
    )
    if not changed:
        return False
    camera = Camera.objects.filter(pk=camera_id).first()
    if camera is not None:
        send_to_agency(camera.agency_id, status_event(camera))
    return True


def record_frames(camera_id: int, last_frame_at, *, snapshot_taken: bool) -> dict | None:
    """Store the newest frame time and, for a new snapshot, bump its version.

    Returns the `camera.snapshot` event to send (with `send_events`) when the version
    went up. A relay node writes many cameras at once with `record_frames_of`.
    """
    taken = {camera_id} if snapshot_taken else set()
    return record_frames_of({camera_id: last_frame_at}, taken).get(camera_id)


def record_frames_of(frames: dict, taken: set[int]) -> dict[int, dict]:
    """`record_frames` for many cameras: {camera id: last frame time}, and the cameras with a new
    snapshot; {camera id: `camera.snapshot` event}. One prepared statement for the frame times
    and two for the snapshots, whatever the number of cameras."""
    if not frames:
        return {}
    update_each(Camera, {pk: {"last_frame_at": at} for pk, at in frames.items()})
    taken = taken & frames.keys()
    if not taken:
        return {}
    Camera.objects.filter(pk__in=taken).update(snapshot_version=F("snapshot_version") + 1)
    return {
        pk: {"type": "camera.snapshot", "camera_id": pk, "snapshot_version": version}
        for pk, version in Camera.objects.filter(pk__in=taken).values_list("pk", "snapshot_version")
    }


def snapshot_bumped(camera_id: int) -> dict | None:
    """Bump the camera's snapshot version (a new picture to fetch); the `camera.snapshot` event to send."""
    if not Camera.objects.filter(pk=camera_id).update(snapshot_version=F("snapshot_version") + 1):
        return None
    return snapshot_event(camera_id)


def snapshot_event(camera_id: int) -> dict:
    version = Camera.objects.filter(pk=camera_id).values_list("snapshot_version", flat=True).first()
    return {"type": "camera.snapshot", "camera_id": camera_id, "snapshot_version": version}


class EventLoopThread:
    """One event loop, in a thread of its own, for a relay node's channel-layer sends.

    `async_to_sync` called from a thread without a loop starts a thread, a loop and a new
    Redis connection of the channel layer for every call; a node that sends every pass kept
    a core's percent busy on that alone. Here the loop, and the layer's connection, stay.
    """

    def __init__(self, name: str = "relay-events"):
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.Lock()

    def run(self, coroutine, timeout: float):
        """Run `coroutine` on the loop; its result, or TimeoutError after `timeout` (it is cancelled)."""
        with self.lock:
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
                threading.Thread(target=self.loop.run_forever, name=self.name, daemon=True).start()
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        with self.lock:
            if self.loop is not None:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self.loop = None


SEND_TIMEOUT_S = 5.0


def send_events(events: list[tuple[int, dict]], loop: EventLoopThread | None = None) -> None:
    """Send (agency id, event) pairs after commit: one `cameras.batch` message per agency;
    on `loop` when given (a relay node's, kept for its life)."""
    if not events:
        return

    async def send_all(batches):
        layer = get_channel_layer()
        for agency_id, batch in batches.items():
            await layer.group_send(agency_group(agency_id), batch)

    async def send_all_within(batches):
        async with asyncio.timeout(SEND_TIMEOUT_S):
            await send_all(batches)

    def send():
        try:
            # Shared cameras' events go to the receiving agencies too, in their batches.
            batches = batch_by_agency(list(fan_out(events)))
            if loop is not None:
                loop.run(send_all(batches), SEND_TIMEOUT_S)
            else:
                async_to_sync(send_all_within)(batches)
        except Exception:  # a down channel layer must not stop the relays
            logger.warning("could not send %s relay events", len(events), exc_info=True)

    transaction.on_commit(send)

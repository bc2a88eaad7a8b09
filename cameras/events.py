"""Messages to the wall over the channel layer, sent after the change commits.

Nothing here decides security: a lost message costs a stale tile until the next
message or reconnect, never an unauthorised pixel. Event types, each handled by the
consumer method of the same name with dots as underscores:

- `camera.status`   {camera_id, status, status_reason, last_frame_at, snapshot_version}
- `camera.snapshot` {camera_id, snapshot_version}
- `camera.consent`  {camera_id}: the owner changed what they share; each wall re-reads it
- `incident.opened` {incident: {id, external_id, kind, priority, lat, lon, address, cameras, ...}}
- `incident.closed` {incident: {id}}
- `layout.pushed`   {layout: {id, name, grid, tiles, pushed_at, pushed_by}}
- `agency.suspended` {detail}: the agency is suspended; each wall says why and closes (4403)
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def agency_group(agency_id: int) -> str:
    return f"agency-{agency_id}"


def send_to_agency(agency_id: int, event: dict) -> None:
    """Send `event` to every wall of the agency once the current transaction commits."""

    def send():
        try:
            async_to_sync(get_channel_layer().group_send)(agency_group(agency_id), event)
        except Exception:  # a down channel layer must not break the change that was made
            logger.warning("could not send %s to agency %s", event.get("type"), agency_id, exc_info=True)

    transaction.on_commit(send)

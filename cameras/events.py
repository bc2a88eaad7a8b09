"""Messages to the wall over the channel layer, sent after the change commits.

Nothing here decides security: a lost message costs a stale tile until the next
message or reconnect, never an unauthorised pixel. Event types, each handled by the
consumer method of the same name with dots as underscores:

- `camera.status`   {camera_id, status, status_reason, last_frame_at, snapshot_version}
- `camera.snapshot` {camera_id, snapshot_version}
- `camera.consent`  {camera_id} or {camera_ids}: what may be seen of these cameras changed (consent,
  a rule, a share, an edit); each wall re-reads them
- `cameras.batch`   {events: [camera.status | camera.snapshot, ...]}: one relay pass's events
  for the agency, coalesced (`cameras/wall/batches.py`); each wall forwards those of the
  cameras it shows as one message of the same shape
- `incident.opened` {incident: {id, external_id, kind, priority, lat, lon, address, cameras, ...}}
- `incident.closed` {incident: {id}}
- `layout.pushed`   {layout: {id, name, grid, tiles, pushed_at, pushed_by}}
- (a `camera.*` event about a camera shared with other agencies goes to their walls too)
- `agency.suspended` {detail}: the agency is suspended; each wall says why and closes (4403)
"""

import logging

from django.db import transaction

from cameras.sharing.fanout import fan_out
from rtcc.async_redis import group_send_now

logger = logging.getLogger(__name__)


def agency_group(agency_id: int) -> str:
    return f"agency-{agency_id}"


def send_to_agency(agency_id: int, event: dict) -> None:
    """Send `event` to every wall of the agency (and, for a shared camera, of those it is shared with) after commit."""

    def send():
        try:
            for target, _event in fan_out([(agency_id, event)]):
                group_send_now(agency_group(target), event)
        except Exception:  # a down channel layer must not break the change that was made
            logger.warning("could not send %s to agency %s", event.get("type"), agency_id, exc_info=True)

    transaction.on_commit(send)

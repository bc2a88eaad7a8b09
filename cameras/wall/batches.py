"""Camera events batched per relay pass: one channel-layer message per agency, one socket message per wall.

A relay node writes the frames and snapshots of every camera it relays once a pass; sent one
by one, a snapshot a camera every ~2 s went to every wall of the agency as its own message,
and each wall redrew its whole list and map for each. Batched, a pass costs one group send
per agency; each wall keeps the events of the cameras it shows and sends them as one message.
"""

BATCH_TYPE = "cameras.batch"


def batch_by_agency(events: list[tuple[int, dict]]) -> dict[int, dict]:
    """{agency id: one `cameras.batch` event} from (agency id, camera event) pairs, in order.

    Coalesced: of several events of one type for one camera only the last is kept, since
    each carries the camera's whole state of that kind (a status, a snapshot version).
    """
    latest: dict[int, dict[tuple, dict]] = {}
    for agency_id, event in events:
        kept = latest.setdefault(agency_id, {})
        key = (event["type"], event["camera_id"])
        kept.pop(key, None)  # the newest takes the last place, so order follows the pass
        kept[key] = event
    return {
        agency_id: {"type": BATCH_TYPE, "events": list(kept.values())} for agency_id, kept in latest.items()
    }


def for_wall(batch: dict, shown: set[int]) -> tuple[list[dict], set[int]]:
    """(the events of cameras a wall shows, ids of cameras it does not know whose status changed).

    A status change of an unknown camera may be a camera added since the wall connected;
    the wall asks whether its user may see it, as for a single `camera.status`.
    """
    kept, unknown = [], set()
    for event in batch.get("events", []):
        camera_id = event.get("camera_id")
        if camera_id in shown:
            kept.append(event)
        elif event.get("type") == "camera.status":
            unknown.add(camera_id)
    return kept, unknown

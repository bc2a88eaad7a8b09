"""Event fan-out to walls: 100 wall connections of one agency, 1,000 tile events a second.

A producer plays relay passes (10 a second, 100 snapshot events each, on the agency's first 200
cameras) into the real channel layer; each wall subscribes to 16 of those cameras and counts,
for every event of its tiles, the time from the pass being sent to the event reaching the
wall's client. Every tile's final snapshot version must be the last one sent (coalescing may
skip versions in between). Baseline, same run: the same events sent one group message each,
as relay nodes did before batching.

The walls are the real consumer (`cameras.consumers.WallConsumer`) driven in this process by
Channels' WebsocketCommunicator, with the dispatcher put in the scope (no sign-in, no socket):
what is measured is the channel layer, the consumers and the filtering, on one core's share.
Needs REDIS_URL (a channel layer shared across processes is what a deployment runs).
`python -m bench wall_fanout` (3 s a mode) or `--scale 10` and more (10 s a mode).
"""

import asyncio
import random
import statistics
import time

from bench._django import bench_redis, setup_django
from bench._fleet import ensure_fleet, load_average

WALLS = 100
TILES = 16
PASSES_PER_SECOND = 10
EVENTS_PER_PASS = 100
POOL = 200


def run(scale: int) -> list[dict]:
    setup_django()
    from agencies.models import Agency, Membership
    from cameras.access import cameras_visible_to

    ensure_fleet(max(scale, 1))
    agency = Agency.objects.filter(slug__startswith="agency-").order_by("slug").first()
    user = agency.memberships.filter(role=Membership.Role.DISPATCHER).select_related("user").first().user
    pool = list(
        cameras_visible_to(user).filter(agency=agency).order_by("pk").values_list("pk", flat=True)[:POOL]
    )
    seconds = 10 if scale >= 10 else 3
    rows = []
    with bench_redis():
        for batched in (True, False):
            result = asyncio.run(fan_out(user, agency.pk, pool, seconds, batched))
            rows.append({"mode": "batched" if batched else "one message per event (baseline)", **result})
    rows[0]["ratio_p99"] = round(rows[0]["p99_ms"] / rows[1]["p99_ms"], 3) if rows[1]["p99_ms"] else None
    return rows


async def fan_out(user, agency_id: int, pool: list[int], seconds: int, batched: bool) -> dict:
    from channels.layers import get_channel_layer
    from channels.testing import WebsocketCommunicator

    from cameras.consumers import WallConsumer
    from cameras.events import agency_group
    from cameras.wall.batches import batch_by_agency

    rng = random.Random(13)
    walls = []
    for _ in range(WALLS):
        tiles = rng.sample(pool, TILES)
        socket = WebsocketCommunicator(
            WallConsumer.as_asgi(), f"/ws/wall/?cameras={','.join(map(str, tiles))}"
        )
        socket.scope["user"] = user
        connected, _ = await socket.connect(timeout=30)
        assert connected
        state = await socket.receive_json_from(timeout=30)
        assert {camera["id"] for camera in state["cameras"]} >= set(tiles)
        walls.append((socket, set(tiles), {}))
    latencies: list[float] = []

    async def listen(socket, seen):
        while True:
            message = await socket.output_queue.get()
            arrived = time.time()
            if message.get("type") != "websocket.send":
                continue
            import json

            event = json.loads(message["text"])
            for one in event.get("events", [event]):
                if "sent_at" in one:
                    latencies.append(arrived - one["sent_at"])
                    seen[one["camera_id"]] = max(seen.get(one["camera_id"], 0), one["snapshot_version"])

    listeners = [asyncio.ensure_future(listen(socket, seen)) for socket, _, seen in walls]
    layer = get_channel_layer()
    versions = dict.fromkeys(pool, 0)
    started = time.time()
    for number in range(seconds * PASSES_PER_SECOND):
        events = []
        sent_at = time.time()
        for camera_id in rng.choices(pool, k=EVENTS_PER_PASS):
            versions[camera_id] += 1
            event = {
                "type": "camera.snapshot",
                "camera_id": camera_id,
                "snapshot_version": versions[camera_id],
            }
            events.append((agency_id, {**event, "sent_at": sent_at}))
        if batched:
            for agency, batch in batch_by_agency(events).items():
                await layer.group_send(agency_group(agency), batch)
        else:
            for agency, event in events:
                await layer.group_send(agency_group(agency), event)
        await asyncio.sleep(max(0.0, started + (number + 1) / PASSES_PER_SECOND - time.time()))
    await asyncio.sleep(2)  # let the last passes drain
    for listener in listeners:
        listener.cancel()
    wrong = sum(
        1
        for _, tiles, seen in walls
        for camera_id in tiles
        if versions[camera_id] and seen.get(camera_id) != versions[camera_id]
    )
    for socket, _, _ in walls:
        await socket.disconnect()
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0.0
    return {
        "walls": WALLS,
        "events_per_second": PASSES_PER_SECOND * EVENTS_PER_PASS,
        "seconds": seconds,
        "deliveries": len(latencies),
        "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p99_ms": round(p99 * 1000, 1),
        "tiles_wrong_at_end": wrong,
        "load_average": load_average(),
    }

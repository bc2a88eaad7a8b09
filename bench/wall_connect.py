"""What a wall is sent on connect, for an agency of 2,000 cameras in a 200,000-camera database:
the subscribed state (16 tiles, a 1280 x 800 map viewport at zoom 14 around the city, the open
incidents with their docked cameras) against the whole state (every camera the dispatcher may
see, what every wall was sent before), both built by the server in the same run.

Five incidents are opened around the centre inside a transaction that is rolled back, so the
generated fleet stays as it was. `python -m bench wall_connect --scale 100` with DATABASE_URL set.
"""

import random

from bench._django import bench_redis, setup_django
from bench._fleet import Timings, ensure_fleet, result_row

REQUESTS = {True: 40, False: 10}
INCIDENTS = 5
TILES = 16


class Rollback(Exception):
    pass


def run(scale: int) -> list[dict]:
    setup_django()
    from django.db import transaction

    from agencies.incidents import do_open_incident
    from agencies.models import Agency, Membership
    from bench.camera_map import viewport
    from cameras.access import cameras_visible_to
    from cameras.map import Viewport
    from cameras.wall.services import wall_state
    from cameras.wall.subscription import Subscription, subscribed_state
    from rtcc.fleet_data import offset

    cameras, agencies = ensure_fleet(scale)
    rng = random.Random(11)
    ours, baseline, sizes, everything = Timings(), Timings(), [], []
    picked = rng.choices(
        list(Agency.objects.filter(slug__startswith="agency-").order_by("slug")), k=REQUESTS[scale >= 10]
    )
    with bench_redis():
        try:
            with transaction.atomic():
                for agency in picked:
                    user = agency.memberships.get(role=Membership.Role.DISPATCHER).user
                    cad = agency.memberships.filter(role=Membership.Role.ADMIN).first().user
                    for number in range(INCIDENTS):
                        lat, lon = offset(agency.lat, agency.lon, rng.gauss(0, 1500), rng.gauss(0, 1500))
                        do_open_incident(
                            cad, agency, external_id=f"BENCH-{len(sizes)}-{number}", kind="Alarm",
                            lat=lat, lon=lon, address="", priority=3,
                        )  # fmt: skip
                    ids = list(cameras_visible_to(user).values_list("pk", flat=True)[:500])
                    tiles = frozenset(rng.sample(ids, min(TILES, len(ids))))
                    lat, lon = offset(agency.lat, agency.lon, rng.gauss(0, 2000), rng.gauss(0, 2000))
                    box = Viewport(*viewport(lat, lon, 14), zoom=14)
                    state = ours(lambda: subscribed_state(user, Subscription(tiles, box)))  # noqa: B023
                    full = baseline(lambda: wall_state(user))  # noqa: B023
                    assert {c["id"] for c in state["cameras"]} <= {c["id"] for c in full["cameras"]}
                    assert state["incidents"] == full["incidents"]
                    sizes.append(len(state["cameras"]))
                    everything.append(len(full["cameras"]))
                raise Rollback
        except Rollback:
            pass
    facts = {
        "connects": len(sizes),
        "incidents": INCIDENTS,
        "cameras_sent_mean": round(sum(sizes) / len(sizes), 1),
        "agency_cameras_mean": round(sum(everything) / len(everything), 1),
    }
    return [result_row(ours, baseline, "whole_state", cameras=cameras, agencies=agencies, **facts)]

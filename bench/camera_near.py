"""`GET /api/v1/cameras/?near=&radius=500` on a generated fleet: server time through the whole
view (token, visibility, cell index, count, page, serializer) against the exact scan (every
camera the caller may see, the distance in Python), on the same rows in the same run. The two
must find the same cameras: one distance definition (rtcc.geo) on both sides.

`python -m bench camera_near --scale 100` with DATABASE_URL set: 200,000 cameras, 100 agencies.
"""

import random

from bench._django import setup_django
from bench._fleet import Timings, agency_clients, ensure_fleet, result_row

RADIUS_M = 500.0
# Requests per run: enough for a p95 on the full fleet, few on the small default one.
REQUESTS = {True: 200, False: 40}


def run(scale: int) -> list[dict]:
    setup_django()
    from cameras.access import cameras_visible_to
    from rtcc.fleet_data import offset
    from rtcc.geo import planar_distance_m

    cameras, agencies = ensure_fleet(scale)
    rng = random.Random(3)
    ours, baseline, found = Timings(), Timings(), []
    for agency, user, client in agency_clients(REQUESTS[scale >= 10]):
        # Where incidents happen: around the centre, where the cameras are densest.
        lat, lon = offset(agency.lat, agency.lon, rng.gauss(0, 1500), rng.gauss(0, 1500))
        response = ours(lambda: client.get(f"/api/v1/cameras/?near={lat},{lon}&radius={RADIUS_M}"))  # noqa: B023
        assert response.status_code == 200, response.content

        def exact_scan():
            rows = [
                (planar_distance_m(lat, lon, c.lat, c.lon), c.pk)  # noqa: B023
                for c in cameras_visible_to(user).select_related(None).only("pk", "lat", "lon")  # noqa: B023
            ]
            return [pk for distance, pk in sorted(rows) if distance <= RADIUS_M]

        exact = baseline(exact_scan)
        page = [camera["id"] for camera in response.json()["results"]]
        assert response.json()["count"] == len(exact), (
            f"near {lat},{lon}: the API and the exact scan disagree"
        )
        assert set(page) <= set(exact), f"near {lat},{lon}: the API lists a camera the exact scan does not"
        found.append(len(exact))
    return [
        result_row(
            ours,
            baseline,
            "exact_scan",
            cameras=cameras,
            agencies=agencies,
            requests=len(found),
            radius_m=RADIUS_M,
            found_mean=round(sum(found) / len(found), 1),
        )
    ]

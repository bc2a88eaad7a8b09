"""`GET /api/v1/cameras/map/?bbox=&zoom=` on a generated fleet: server time for a dispatcher's
viewport (a 1280 x 800 pixel map at zooms 11 to 16 around the city) against returning every
camera the dispatcher may see (what the wall downloaded before), in the same run. A second row
times the camera list as the wall now asks for it: the first page nearest the map's centre
(`?around=`), against the same baseline.

`python -m bench camera_map --scale 100` with DATABASE_URL set: 200,000 cameras, 100 agencies.
"""

import json
import math
import random

from bench._django import setup_django
from bench._fleet import Timings, agency_clients, ensure_fleet, result_row

# Requests per run: enough for a p95 on the full fleet, few on the small default one.
REQUESTS = {True: 120, False: 30}
WIDTH_PX, HEIGHT_PX = 1280, 800


def viewport(lat: float, lon: float, zoom: int) -> tuple[float, float, float, float]:
    """The box a WIDTH_PX x HEIGHT_PX Web Mercator map centred on (lat, lon) shows at `zoom`."""
    degrees_per_px = 360 / (256 * 2**zoom)
    half_w = WIDTH_PX / 2 * degrees_per_px
    half_h = HEIGHT_PX / 2 * degrees_per_px * math.cos(math.radians(lat))
    return lat - half_h, lon - half_w, lat + half_h, lon + half_w


def run(scale: int) -> list[dict]:
    setup_django()
    from cameras.access import cameras_visible_to
    from cameras.api.serializers import CameraSerializer
    from rtcc.fleet_data import offset

    cameras, agencies = ensure_fleet(scale)
    rng = random.Random(5)
    ours, listed, baseline, items, totals = Timings(), Timings(), Timings(), [], []
    for agency, user, client in agency_clients(REQUESTS[scale >= 10]):
        zoom = rng.randint(11, 16)
        lat, lon = offset(agency.lat, agency.lon, rng.gauss(0, 2000), rng.gauss(0, 2000))
        box = ",".join(f"{value:.6f}" for value in viewport(lat, lon, zoom))
        response = ours(lambda: client.get(f"/api/v1/cameras/map/?bbox={box}&zoom={zoom}"))  # noqa: B023
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= 500
        items.append(len(body["items"]))
        totals.append(body["total"])
        page = listed(lambda: client.get(f"/api/v1/cameras/?around={lat},{lon}"))  # noqa: B023
        assert page.status_code == 200 and len(page.json()["results"]) <= 50, page.content
        baseline(lambda: json.dumps(CameraSerializer(cameras_visible_to(user), many=True).data))  # noqa: B023
    return [
        result_row(
            ours,
            baseline,
            "all_cameras",
            cameras=cameras,
            agencies=agencies,
            requests=len(items),
            items_max=max(items),
            cameras_in_view_mean=round(sum(totals) / len(totals), 1),
        ),
        result_row(
            listed, baseline, "all_cameras", path="list around the centre, first page", cameras=cameras
        ),
    ]

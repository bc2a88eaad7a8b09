"""`?near=` on the camera list: the SQL distance filter against fetching every camera and
filtering in Python (the naive way), on the same rows in the same run."""

import random
import statistics
import time

from bench._django import setup_django


def timed(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(scale: int) -> list[dict]:
    setup_django()
    from django.contrib.auth import get_user_model

    from agencies.access import cameras_visible_to
    from agencies.models import Agency, Membership
    from cameras.models import Camera, Consent
    from rtcc.geo import haversine_m, within

    rng = random.Random(7)
    agency = Agency.objects.create(slug="bench", name="Bench PD", lat=41.88, lon=-87.63)
    user = get_user_model().objects.create_user("bench-dispatcher")
    Membership.objects.create(user=user, agency=agency, role=Membership.Role.DISPATCHER)
    count = 2000 * scale
    cameras = Camera.objects.bulk_create(
        Camera(
            agency=agency,
            name=f"cam {n}",
            kind=Camera.Kind.PUBLIC if n % 3 else Camera.Kind.PRIVATE,
            lat=41.88 + rng.uniform(-0.05, 0.05),
            lon=-87.63 + rng.uniform(-0.07, 0.07),
        )
        for n in range(count)
    )
    Consent.objects.bulk_create(
        Consent(camera=camera, level=rng.choice(["registry", "on_request", "live", "none"]))
        for camera in cameras
        if camera.kind == Camera.Kind.PRIVATE
    )
    user = get_user_model().objects.get(pk=user.pk)
    lat, lon, radius = 41.881, -87.631, 500.0

    def sql_filter():
        return [c.pk for c in within(cameras_visible_to(user), lat, lon, radius)]

    def python_filter():
        rows = [(haversine_m(lat, lon, c.lat, c.lon), c.pk) for c in cameras_visible_to(user)]
        return [pk for distance, pk in sorted(rows) if distance <= radius]

    assert set(sql_filter()) == set(python_filter()), "both ways must find the same cameras"
    repeats = 7
    ours, baseline = timed(sql_filter, repeats), timed(python_filter, repeats)
    return [
        {
            "cameras": count,
            "found": len(sql_filter()),
            "sql_ms": round(ours * 1000, 2),
            "baseline_python_ms": round(baseline * 1000, 2),
            "ratio": round(ours / baseline, 3),
        }
    ]

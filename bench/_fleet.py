"""A generated fleet to measure against, and the timing helpers the read-path benchmarks share.

`--scale N` means 2,000 x N cameras in max(1, N) agencies (`--scale 100`: 200,000 cameras in
100 agencies). With DATABASE_URL naming a database that already holds a generated fleet of
that size it is reused, since generating 200,000 cameras takes minutes; make one with
`manage.py generate_fleet --cameras 200000 --agencies 100 --password ... --seed 1`.
"""

import random
import statistics
import time

CAMERAS_PER_SCALE = 2000
PASSWORD = "bench-password"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the benchmarks sign in with tokens, never a code


def ensure_fleet(scale: int) -> tuple[int, int]:
    from agencies.models import Agency
    from cameras.models import Camera
    from rtcc import fleet_data

    cameras, agencies = CAMERAS_PER_SCALE * scale, max(1, scale)
    if Camera.objects.count() != cameras or Agency.objects.count() != agencies or fleet_data.foreign_data():
        if fleet_data.foreign_data():
            raise SystemExit(
                "the benchmark database holds data not generated here; point DATABASE_URL elsewhere"
            )
        fleet_data.generate(
            cameras=cameras, agencies=agencies, password=PASSWORD, totp_secret=TOTP_SECRET, seed=1
        )
    return cameras, agencies


def agency_clients(count: int, seed: int = 7) -> list[tuple]:
    """(agency, API client signed in as its dispatcher) for `count` agencies picked at random."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from agencies.models import Agency

    rng = random.Random(seed)
    agencies = list(Agency.objects.filter(slug__startswith="agency-").order_by("slug"))
    picked = []
    # One request handler for every client, as one web process has: a new handler loads the
    # middleware again, and WhiteNoise's file scan alone then costs tens of milliseconds.
    handler = APIClient().handler
    for agency in rng.choices(agencies, k=count):
        user = agency.memberships.get(role="dispatcher").user
        # A host the settings allow without a test runner's "testserver".
        client = APIClient(SERVER_NAME="localhost")
        client.handler = handler
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        picked.append((agency, user, client))
    return picked


def percentiles(samples: list[float], prefix: str = "") -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        f"{prefix}p50_ms": round(statistics.median(ordered) * 1000, 2),
        f"{prefix}p95_ms": round(p95 * 1000, 2),
    }


class Timings:
    """Per call: wall time, this process's CPU time, and the time its SQL queries took.

    On a shared machine the wall time counts waiting for a core; the CPU time of the web
    process and the SQL time (round trips as the client saw them) say where it went.
    """

    def __init__(self):
        self.wall, self.cpu, self.sql = [], [], []

    def __call__(self, function):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            result = function()
            self.cpu.append(time.process_time() - cpu)
            self.wall.append(time.perf_counter() - wall)
        self.sql.append(sum(float(query["time"]) for query in queries.captured_queries))
        return result

    def summary(self, prefix: str = "") -> dict:
        return {
            **percentiles(self.wall, prefix),
            **percentiles(self.cpu, f"{prefix}cpu_"),
            **percentiles(self.sql, f"{prefix}sql_"),
        }


def result_row(ours: Timings, baseline: Timings, baseline_name: str, **facts) -> dict:
    from django.db import connection

    mine = ours.summary()
    theirs = baseline.summary(f"baseline_{baseline_name}_")
    return {
        "database": connection.vendor,
        **facts,
        **mine,
        **theirs,
        "ratio_p95": round(mine["p95_ms"] / theirs[f"baseline_{baseline_name}_p95_ms"], 3),
        "load_average": load_average(),
    }


def load_average() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])

"""A relay node's pass on a generated fleet: what it reads and decides, incremental against full.

`python -m bench supervisor_pass --scale 100` with DATABASE_URL set: 200,000 cameras, 100
agencies, 500 on-demand cameras demanded (5 per scale unit), a node holding 100 relays.

- **pass**: `RelayNodeRunner.desired_now` between two reconciles: the cameras the node holds
  and the ones wake messages named, decided by the consent rule (a demand opened or closed is
  a wake message naming its camera);
- **woken after a revoke**: the pass after a wake that names one held camera whose owner has
  just revoked; it must come out of the desired state;
- **baseline, full scan**: `desired_cameras` over every camera, as every pass read it before
  (and as the clock-aligned reconcile still does once a period), in the same run on the same rows;
- **full reconcile**: that full scan, slim (no passphrase decrypted, no mask read), against the
  same scan reading every candidate's masks and passphrase (`relay_cameras`), as it did before.

It measures the decision, not ffmpeg: no process is started.
"""

import gc
import random

from bench._django import bench_redis, setup_django
from bench._fleet import Timings, ensure_fleet, result_row

PASSES = {True: 20, False: 30}
DEMANDED_PER_SCALE = 5
HELD = 100


class NamedWakes:
    """What a node's wake listener hands a pass: the camera ids named since the last one."""

    def __init__(self):
        self.ids: set[int] = set()

    def take(self) -> tuple[set[int], bool]:
        ids, self.ids = self.ids, set()
        return ids, False


def run(scale: int) -> list[dict]:
    setup_django()
    with bench_redis():  # consent saves wake the nodes through Redis, as in production
        return measure(scale)


def measure(scale: int) -> list[dict]:
    from django.conf import settings
    from django.utils import timezone

    from cameras.models import Camera, Consent
    from cameras.relay.desired import desired_cameras, relay_cameras
    from cameras.relay.node import Relay, RelayNodeRunner

    cameras, agencies = ensure_fleet(scale)
    rng = random.Random(3)
    on_demand = list(
        Camera.objects.filter(relay_mode=Camera.RelayMode.ON_DEMAND).values_list("pk", flat=True)
    )
    demanded = set(rng.sample(on_demand, min(len(on_demand), DEMANDED_PER_SCALE * scale)))
    now = timezone.now()
    everything = desired_cameras(now, demanded)
    # The camera revoked in the woken passes: a resident's, held by this node.
    revoked = next(pk for pk, camera in sorted(everything.items()) if camera.owner_id is not None)
    owner_id = everything[revoked].owner_id
    held = sorted(set(sorted(everything)[: HELD - 1]) | {revoked})

    node = RelayNodeRunner("bench-node", capacity=HELD)
    node.current_demand = lambda: demanded
    node.relays = {pk: Relay(camera_id=pk, agency_id=everything[pk].agency_id, spec=None) for pk in held}
    wakes = NamedWakes()
    node.listener = wakes
    full, between, woken, reading_secrets = Timings(), Timings(), Timings(), Timings()
    passes = PASSES[scale >= 10]
    # Two phases, as a node runs: a full scan once a period, many passes between. Alternating
    # them here would charge each pass with collecting the garbage of a 20,000-camera scan.
    scans = [full(lambda: desired_cameras(timezone.now(), demanded)) for _ in range(passes)]
    gc.collect()
    for _ in range(passes):
        reading_secrets(lambda: relay_cameras(desired_cameras(timezone.now(), demanded)))
    gc.collect()
    for _ in range(passes):
        now = timezone.now()
        period = int(now.timestamp() // settings.RTCC_RELAY_RECONCILE_SECONDS)
        node.reconciled_period = period
        state = between(lambda: node.desired_now(now))  # noqa: B023
        assert set(state) == set(scans[-1]) & node.relays.keys(), "a pass decides as the scan does"
        Consent.objects.create(camera_id=revoked, level=Consent.Level.NONE, set_by_id=owner_id)
        wakes.ids.add(revoked)
        node.reconciled_period = period
        state = woken(lambda: node.desired_now(now))  # noqa: B023
        assert revoked not in state, "the revoked camera leaves the desired state at the woken pass"
        Consent.objects.create(camera_id=revoked, level=Consent.Level.LIVE, set_by_id=owner_id)
    facts = {
        "cameras": cameras,
        "agencies": agencies,
        "demanded": len(demanded),
        "held": len(held),
        "desired_full": len(everything),
    }
    return [
        {"path": "pass", **result_row(between, full, "full_scan", **facts)},
        {"path": "woken_after_revoke", **result_row(woken, full, "full_scan", **facts)},
        {"path": "full_reconcile_slim", **result_row(full, reading_secrets, "reading_secrets", **facts)},
    ]

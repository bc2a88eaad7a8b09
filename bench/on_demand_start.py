"""Time to the first segment of an on-demand camera: from a viewer's demand to the first HLS
segment the media endpoints can serve, through a relay node in its own process, against the relay's
own ffmpeg started by hand on the same push in the same run (what ffmpeg, SRT and 1 s
segments cost before demand, wake-up and lease add theirs).

The box is an edge device pushing a pre-encoded clip (1 s GOP) with stream copy, calling
again at once while nobody listens. Each trial demands the
camera, waits for a segment in the playlist, releases it and waits for the relay to go
(linger 0). `python -m bench on_demand_start --scale 5` runs 50 trials.
"""

import functools
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._django import setup_django
from bench._wall_page import percentile
from bench.relays import (
    CopyDevice,
    caller_url,
    contracted_agency_and_owner,
    keep_running,
    leased_url,
    make_clip,
    stop_everything,
)

TRIALS_PER_SCALE = 10
TIMEOUT_S = 30.0


def has_segment(playlist: Path) -> bool:
    try:
        return "#EXTINF" in playlist.read_text()
    except OSError:
        return False


def wait(condition, devices) -> float | None:
    """Seconds until `condition()` holds, keeping the box calling; None past the timeout."""
    started = time.monotonic()
    while time.monotonic() - started < TIMEOUT_S:
        keep_running(devices)
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def run(scale: int) -> list[dict]:
    var_dir = setup_django()
    from django.conf import settings

    from cameras.models import Camera, Consent
    from cameras.relay.demand import add_demand, release_demand
    from cameras.relay.layout import live_dir, playlist_path
    from cameras.relay.node import relay_spec
    from cameras.relay.process import RelayProcess
    from rtcc.embedded_redis import EmbeddedRedis
    from rtcc.ffmpeg import find_ffmpeg, running_ffmpegs

    trials = TRIALS_PER_SCALE * max(scale, 1)
    redis = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
    agency, owner = contracted_agency_and_owner(device_quota=1)
    camera = Camera.objects.create(
        agency=agency,
        owner=owner,
        name="on demand",
        lat=41.88,
        lon=-87.63,
        source=Camera.Source.PUSH,
        relay_mode=Camera.RelayMode.ON_DEMAND,
    )
    Consent.objects.create(camera=camera, level=Consent.Level.LIVE)
    ffmpeg = find_ffmpeg().path
    clip = make_clip(ffmpeg, Path(var_dir))
    devices = [CopyDevice(ffmpeg, clip, functools.partial(leased_url, camera))]
    marker = str(live_dir(camera.pk)).encode()

    def relayed() -> bool:
        return any(any(marker in arg for arg in argv) for _, argv in running_ffmpegs())

    node = None
    try:
        node = subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "relay_node", "--name", "bench"],
            env={
                **os.environ,
                "RTCC_VAR_DIR": var_dir,
                "LOG_LEVEL": "WARNING",
                "RTCC_RELAY_LINGER_SECONDS": "0",
            },
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(3)  # the node registers and runs its first passes
        fleet = []
        for trial in range(trials):
            holder = f"bench:{trial}"
            add_demand(camera.pk, holder, seconds=120)
            seconds = wait(lambda: has_segment(playlist_path(camera.pk)), devices)
            if seconds is not None:
                fleet.append(seconds)
            release_demand(camera.pk, holder)
            wait(lambda: not relayed() and not playlist_path(camera.pk).exists(), devices)
        node.send_signal(signal.SIGTERM)
        node.wait(30)
        node = None

        # The baseline: the relay's own ffmpeg (same command line) started by hand, no node:
        # what ffmpeg, SRT and 1 s segments cost before demand, wake-up and lease add theirs.
        bare = []
        port = settings.RTCC_SRT_PORT_RANGE[0]
        for device in devices:
            device.stop()
        devices = [CopyDevice(ffmpeg, clip, caller_url(camera, "127.0.0.1", port))]
        for _ in range(trials):
            relay = RelayProcess(relay_spec(camera, port))
            relay.start()
            seconds = wait(lambda: has_segment(playlist_path(camera.pk)), devices)
            if seconds is not None:
                bare.append(seconds)
            relay.stop()
            wait(lambda: not relayed(), devices)
            shutil.rmtree(live_dir(camera.pk), ignore_errors=True)
    finally:
        stop_everything(node, [], devices, redis)
    if not fleet or not bare:
        raise RuntimeError(
            f"only {len(fleet)} demanded and {len(bare)} bare starts of {trials} reached a segment"
        )
    return [
        {
            "trials": trials,
            "reached": len(fleet),
            "demand_p50_s": round(statistics.median(fleet), 2),
            "demand_p95_s": round(percentile(fleet, 0.95), 2),
            "by_hand_p50_s": round(statistics.median(bare), 2),
            "by_hand_p95_s": round(percentile(bare, 0.95), 2),
            "p50_ratio": round(statistics.median(fleet) / statistics.median(bare), 2),
        }
    ]

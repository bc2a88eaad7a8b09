"""From a dispatcher opening a camera to its first frame on screen, in headless Chromium.

The page does what a click on a tile does: POST `/live/` (a viewing session under a purpose,
which is the camera's demand), then the wall's own socket player (`MsePlayer` over `/ws/live/`)
until the video presents its first frame (`requestVideoFrameCallback`), then closes the view
(DELETE `/live/`). Two cameras, trials alternating:

- an **on-demand** private camera, idle before each trial: the relay starts on the demand and
  the box (a pre-encoded clip, 640x360, 1 s GOP, pushed with `-c copy`) calls the relay node
  as soon as it listens; after the trial the relay goes (linger 0) before the next;
- the baseline, a **continuous** agency camera on the same node, already relayed: what the
  page, the socket and the player cost without a relay to start.

`python -m bench first_frame --scale 5` runs 50 trials of each. Targets: p95 ≤ 3 s (issue
"Sub-second tiles"), p50 ≤ 2 s and p95 ≤ 3 s (issue "Video flows only while it is needed").
"""

import contextlib
import functools
import statistics
import threading
import time
from pathlib import Path

from bench import _wall_page as wall
from bench._django import bench_redis, setup_django
from bench.relays import CopyDevice, contracted_agency_and_owner, keep_running, leased_url, make_clip

TRIALS_PER_SCALE = 10
FRAME_TIMEOUT_MS = 15000

OPEN_UNTIL_FIRST_FRAME = (
    """
async ([cameraId, timeoutMs]) => {
  const started = performance.now();"""
    + wall.OPEN_LIVE
    + wall.IMPORT_PLAYER
    + """
  const video = Object.assign(document.createElement('video'), {muted: true, autoplay: true, playsInline: true});
  document.body.appendChild(video);
  let fellBack = false;
  const player = new MsePlayer(video, cameraId, () => {}, (reason) => { throw new Error(reason); },
                               () => { fellBack = true; });
  player.start(hls_url);
  const shown = await new Promise(resolve => {
    video.requestVideoFrameCallback(() => resolve(true));
    setTimeout(() => resolve(false), timeoutMs);
  });
  const seconds = (performance.now() - started) / 1000;
  player.destroy();
  video.remove();
  await fetch(liveUrl, {method: 'DELETE', credentials: 'same-origin', headers: {'X-CSRFToken': csrf}});
  return {seconds: shown ? seconds : null, fellBack};
}
"""
)


def run(scale: int) -> list[dict]:
    if not wall.has_chromium():
        return [{"skipped": "no Chromium"}]
    var_dir = setup_django()

    from cameras.models import Camera, Consent
    from cameras.relay.layout import live_dir
    from rtcc.ffmpeg import find_ffmpeg, running_ffmpegs

    trials = TRIALS_PER_SCALE * max(scale, 1)
    redis = contextlib.ExitStack()
    redis.enter_context(bench_redis())  # REDIS_URL's, or an embedded one
    agency, owner = contracted_agency_and_owner(device_quota=2)
    where = {"agency": agency, "source": Camera.Source.PUSH, "lat": 41.88, "lon": -87.63}
    on_demand = Camera.objects.create(
        **where, owner=owner, name="on demand", relay_mode=Camera.RelayMode.ON_DEMAND
    )
    Consent.objects.create(camera=on_demand, level=Consent.Level.LIVE)
    continuous = Camera.objects.create(**where, name="continuous", kind=Camera.Kind.PUBLIC)
    user, authenticator = wall.dispatcher_with_authenticator(agency)
    ffmpeg = find_ffmpeg().path
    clip = make_clip(ffmpeg, Path(var_dir))
    devices = [
        CopyDevice(ffmpeg, clip, functools.partial(leased_url, camera)) for camera in (on_demand, continuous)
    ]
    marker = str(live_dir(on_demand.pk)).encode()

    def relayed() -> bool:
        return any(any(marker in arg for arg in argv) for _, argv in running_ffmpegs())

    # The boxes call again at once while nobody listens (as an edge agent told by its orders would).
    calling = threading.Event()

    def keep_calling():
        while not calling.wait(0.05):
            keep_running(devices)

    caller = threading.Thread(target=keep_calling, daemon=True)
    caller.start()

    def live() -> bool:
        continuous.refresh_from_db(fields=["status"])
        return continuous.status == Camera.Status.LIVE

    results = {"on_demand": [], "continuous": []}
    fell_back = {"on_demand": 0, "continuous": 0}
    shown = {"on_demand": 0, "continuous": 0}
    try:
        with wall.node_and_web(var_dir, RTCC_RELAY_LINGER_SECONDS="0") as port:
            wall.wait_for(live, 60, "the continuous camera going live")
            with wall.wall_page(port, user, authenticator) as page:
                for _ in range(trials):
                    for name, camera in (("on_demand", on_demand), ("continuous", continuous)):
                        if name == "on_demand":
                            wall.wait_for(lambda: not relayed(), 60, "the on-demand relay going idle")
                        taken = page.evaluate(OPEN_UNTIL_FIRST_FRAME, [camera.pk, FRAME_TIMEOUT_MS])
                        fell_back[name] += taken["fellBack"]
                        # A frame that never came counts as the whole wait: never left out of p95.
                        results[name].append(taken["seconds"] or FRAME_TIMEOUT_MS / 1000)
                        shown[name] += taken["seconds"] is not None
                        time.sleep(0.2)
    finally:
        calling.set()
        caller.join(5)
        for device in devices:
            device.stop()
        redis.close()
    rows = []
    for name, seconds in results.items():
        if not shown[name]:
            raise RuntimeError(f"{name}: no trial of {trials} showed a frame")
        rows.append(
            {
                "camera": name,
                "trials": trials,
                "shown": shown[name],
                "fell_back_to_hls": fell_back[name],
                "first_frame_p50_s": round(statistics.median(seconds), 2),
                "first_frame_p95_s": round(wall.percentile(seconds, 0.95), 2),
            }
        )
    rows[0]["p95_ratio_to_continuous"] = round(rows[0]["first_frame_p95_s"] / rows[1]["first_frame_p95_s"], 2)
    return rows

"""Does a tile drift behind live? Glass-to-glass latency of one socket tile over a long play.

The same path and clock stamp as `glass_to_glass` (a device stamping its clock into each
frame, x264, SRT to a relay node, fMP4 fragments over the wall's video socket into the
wall's own `MsePlayer`), played without a break. The baseline is the same tile's first
window: the drift is the last window's median latency minus the first's. Small (`make
bench`): one minute, 10 s windows; `python -m bench tile_drift --scale 10`: ten minutes,
one-minute windows, the issue's measure (within 0.2 s of the first minute's).

The tile is played as the wall plays it: its link renewed half-way through its life (else
the server ends the camera when the link expires, five minutes by default), and a player
that fails (`onFatal`) started over and counted as a restart. A camera the server ends
ends the run with its reason.
"""

import os
import statistics

from bench._wall_page import has_chromium, percentile
from bench.glass_to_glass import PLAYER, SETTLE_MS, clock_camera_on_wall

MINUTE_S = 60
TARGET_DRIFT_S = 0.2


def windows(times: list[float], lags: list[float], width: float, count: int) -> list[list[float]]:
    """The latencies of each of `count` `width`-second windows from the first frame on (empty: no frame)."""
    found: list[list[float]] = [[] for _ in range(count)]
    for at, lag in zip(times, lags, strict=True):
        index = int((at - times[0]) // width)
        if index < count:
            found[index].append(lag)
    return found


def run(scale: int) -> list[dict]:
    if not has_chromium():
        return [{"skipped": "no Chromium"}]
    play_s = MINUTE_S * max(scale, 1)
    width = MINUTE_S if scale >= 5 else 10
    with clock_camera_on_wall() as (page, camera):
        taken = page.evaluate(PLAYER, [camera.pk, play_s * 1000, "socket", SETTLE_MS])
    if taken["closed"] is not None:
        raise RuntimeError(f"the server ended the tile after {len(taken['glass'])} frames: {taken['closed']}")
    if not taken["times"]:
        raise RuntimeError("the tile showed no frame")
    parts = windows(taken["times"], taken["glass"], width, play_s // width)  # whole windows only
    rows = [
        {
            "window": f"{index * width}-{(index + 1) * width} s",
            "frames": len(lags),
            "glass_median_s": round(statistics.median(lags), 3) if lags else None,
            "glass_p95_s": round(percentile(lags, 0.95), 3) if lags else None,
        }
        for index, lags in enumerate(parts)
    ]
    if rows[0]["glass_median_s"] is None or rows[-1]["glass_median_s"] is None:
        raise RuntimeError(
            f"no frame in the first or the last window: the tile stopped playing ({taken['restarts']} restarts)"
        )
    first, last = rows[0]["glass_median_s"], rows[-1]["glass_median_s"]
    rows.append(
        {
            "window": f"last against first ({play_s} s played)",
            "frames": len(taken["glass"]),
            "stalls": taken["stalls"],
            "restarts": taken["restarts"],
            "link_renewals": taken["renewals"],
            "buffer_held_max_s": round(taken["heldMax"], 1),
            "drift_s": round(last - first, 3),
            "target": f"|drift| <= {TARGET_DRIFT_S} s: {'met' if abs(last - first) <= TARGET_DRIFT_S else 'NOT met'}",
            "load_1min": round(os.getloadavg()[0], 1),
        }
    )
    return rows

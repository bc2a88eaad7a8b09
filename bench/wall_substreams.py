"""Grid tiles on substreams: the same wall of cameras playing their main streams, then their substreams.

N cameras (16 by default, a 4x4 wall; 64 with `--scale 4`) are simulated edge devices, each
pushing a main stream pre-encoded once (1280x720 H.264 at 15 fps, 1 s GOP, 1.5 Mbit/s) and,
while the node listens for it, a substream (320x240, 300 kbit/s) over SRT with `-c copy`
(`cameras.simulator`), relayed by one relay node. The real wall page in one headless Chromium
shows them all on one grid, over the wall's video socket.

Baseline, same run and page: the cameras marked without a substream, so that every grid tile
plays the 720p main stream. Then marked with one: every grid tile plays the substream (the
node relays it beside the main stream while the tile shows it). For each: tiles playing, tiles
advancing, latency as the wall shows it, the picture size the tiles decode, and CPU (% of one
core) of the page, the node, the web tier and the devices over the same window
(`bench/wall_tiles.py`, whose sampling this reuses).
"""

import collections
import contextlib
import math
import os
import tempfile
import time
from pathlib import Path

from bench._django import bench_redis, contracted_agency, setup_django
from bench._wall_page import (
    dispatcher_with_authenticator,
    has_chromium,
    start_node_and_web,
    stop,
    wait_for,
    wall_page,
)
from bench.wall_tiles import (
    TILE_SAMPLER,
    TILES_PLAYING,
    VIEWPORT,
    WINDOW_S,
    cameras_on,
    command_name,
    cpu_while,
    descendants,
    playing_after,
    tiles_row,
)

MAIN = {"width": 1280, "height": 720, "fps": 15, "bitrate": "1500k"}
SUB = {"width": 320, "height": 240, "fps": 15}
DECODED = """
() => window.rtccWall.tiles.filter((tile) => tile.player).map(
  (tile) => `${tile.player.stream || 'hls'} ${tile.player.video.videoWidth}x${tile.player.video.videoHeight}`)
"""


def run(scale: int) -> list[dict]:
    if not has_chromium():
        return [{"skipped": "no Chromium"}]
    count = 64 if scale >= 4 else 16
    var_dir = setup_django()

    from cameras.models import Camera
    from cameras.simulator import LeaseFollowingCamera
    from cameras.simulator_clip import prepared_clip

    redis = contextlib.ExitStack()
    redis.enter_context(bench_redis())
    agency = contracted_agency()
    cameras = [
        Camera.objects.create(
            agency=agency, name=f"tile {n:02d}", kind=Camera.Kind.PUBLIC, source=Camera.Source.PUSH,
            lat=41.88 + n / 10000, lon=-87.63, substream=True,
        )
        for n in range(count)
    ]  # fmt: skip
    ids = [camera.pk for camera in cameras]
    user, authenticator = dispatcher_with_authenticator(agency)
    port, (node, web) = start_node_and_web(var_dir)
    clips = Path(tempfile.mkdtemp(dir=var_dir))
    main_clip = prepared_clip(clips, "bench main", **MAIN)
    sub = {**SUB, "clip": prepared_clip(clips, "bench sub", **SUB)}
    devices = [LeaseFollowingCamera(camera, follow=True, clip=main_clip, substream=sub) for camera in cameras]
    rows = []
    try:
        for device in devices:
            device.start()
        wait_for(
            lambda: Camera.objects.filter(pk__in=ids, status=Camera.Status.LIVE).count() == count,
            60 + 2 * count,
            f"all {count} relayed cameras going live",
        )
        with wall_page(port, user, authenticator, viewport=VIEWPORT) as page:
            for substream, label in ((False, "main 1280x720 (baseline)"), (True, "substream 320x240")):
                Camera.objects.filter(pk__in=ids).update(substream=substream)
                page.evaluate(
                    "(wall) => localStorage.setItem('rtcc.wall', JSON.stringify(wall))", cameras_on(cameras)
                )
                page.reload()
                page.wait_for_function("() => window.rtccWall !== undefined")
                started = playing_after(lambda: page.evaluate(TILES_PLAYING), count, 60 + 2 * count)
                time.sleep(3)  # let the players settle at the edge
                groups = {
                    "page": [pid for pid in descendants(os.getpid()) if "chrom" in command_name(pid)],
                    "node": [node.pid, *descendants(node.pid)],
                    "web": [web.pid],
                    "devices": [
                        child.process.pid
                        for device in devices
                        for child in (device, device.sub)
                        if child is not None and child.is_running
                    ],
                }
                tiles, cpu = cpu_while(lambda: page.evaluate(TILE_SAMPLER, [WINDOW_S * 1000]), groups)
                decoded = collections.Counter(page.evaluate(DECODED))
                rows.append(
                    {
                        **tiles_row(label, tiles, cpu, count),
                        "started": started[0],
                        "start_s": started[1],
                        "decoded": dict(decoded),
                    }
                )
    finally:
        for device in devices:
            device.stop()
        stop([node, web])
        redis.close()
    main_row, sub_row = rows
    for key in ("cpu_page_pct", "cpu_node_pct", "cpu_devices_pct"):
        if main_row.get(key):
            sub_row[f"{key.removesuffix('_pct')}_ratio_to_main"] = round(sub_row[key] / main_row[key], 2)
    sub_row["grid"] = f"{math.isqrt(count)}x{math.isqrt(count)}"
    return rows

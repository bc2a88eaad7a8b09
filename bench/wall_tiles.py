"""Many live tiles in one wall: an 8x8 wall over the wall's video socket, against hls.js.

N cameras (16 by default, 64 with `--scale 4`) are simulated edge devices pushing a clip
pre-encoded once (320x240 H.264 at 15 fps, a substream's size, 1 s GOP) over SRT with
`-c copy` (`cameras.simulator`, as `make demo` does), relayed by one relay node. The real
wall page, signed in as a dispatcher, shows them all on one grid (4x4 or 8x8) in one
headless Chromium: every tile plays over the wall's one socket into MSE. For each tile:
how long until it played (all tiles, or how many within 60 s + 2 s a tile), whether its
video time advanced over the window, and its latency as the wall computes it
(`Tile.lag()`: the node's clock when the picture on screen left the relay, to now).
CPU over the same window, % of one core: the page (every Chromium process), the relay node
(its Python and its ffmpeg children), the web tier (daphne, which reads Redis for the
socket) and the devices.

Baseline, same run and page: the same N cameras each played by its own hls.js (the wall's
tuning) on N video elements of the tiles' size, with the wall's own tiles empty. And the
simulator's own cost: four of the cameras pushed from the clip, then encoded live.
"""

import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench._django import bench_redis, contracted_agency, setup_django
from bench._wall_page import (
    OPEN_LIVE,
    dispatcher_with_authenticator,
    has_chromium,
    start_node_and_web,
    stop,
    wait_for,
    wall_page,
)
from bench.relays import cpu_seconds

WINDOW_S = 15.0
SIMULATOR_SAMPLE = 4  # cameras whose simulator is measured both ways
VIEWPORT = {"width": 1920, "height": 1080}
TILE_SAMPLER = """
async ([sampleMs]) => {
  const tiles = window.rtccWall.tiles.filter((tile) => tile.cameraId);
  const video = (tile) => tile.player && tile.player.video;
  const start = tiles.map((tile) => (video(tile) ? video(tile).currentTime : 0));
  const lags = tiles.map(() => []);
  const arrivals = tiles.map(() => []);
  const stats = window.rtccWall.liveStats;
  const until = performance.now() + sampleMs;
  while (performance.now() < until) {
    tiles.forEach((tile, i) => {
      const lag = tile.lag();
      if (lag !== null) lags[i].push(lag / 1000);
      const arrival = stats.arrivalLag.get(tile.cameraId);
      if (arrival !== undefined && tile.player && tile.player.kind === 'socket') arrivals[i].push(arrival / 1000);
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return tiles.map((tile, i) => ({
    transport: tile.player ? tile.player.kind || 'hls' : null,
    advanced: video(tile) ? video(tile).currentTime - start[i] : 0,
    lags: lags[i],
    arrivals: arrivals[i],
  }));
}
"""
# The page's live video events since it loaded (static/wall/live_socket.js, liveStats).
LIVE_STATS = """
() => {
  const {arrivalLag, ...counts} = window.rtccWall.liveStats;
  return counts;
}
"""
TILES_PLAYING = """
() => {
  const tiles = window.rtccWall.tiles.filter((tile) => tile.cameraId);
  return tiles.filter((tile) => tile.player && tile.player.kind === 'socket' && tile.player.video.currentTime > 1).length;
}
"""
HLS_TILES = (
    """
async ([cameraIds, grid]) => {
  const tuning = JSON.parse(document.getElementById('wall-config').textContent).hls;  // the wall's own
  const box = Object.assign(document.createElement('div'), {});
  box.style.cssText = `position:fixed;inset:0;display:grid;grid-template-columns:repeat(${grid},1fr);z-index:9999;background:#000`;
  document.body.appendChild(box);
  const players = await Promise.all(cameraIds.map(async (cameraId) => {"""
    + OPEN_LIVE
    + """
    const video = Object.assign(document.createElement('video'), {muted: true, autoplay: true, playsInline: true});
    video.style.cssText = 'width:100%;height:100%;object-fit:contain';
    box.appendChild(video);
    const hls = new Hls(tuning);
    hls.loadSource(hls_url);
    hls.attachMedia(video);
    return {hls, video};
  }));
  const settle = performance.now() + 90000;
  while (players.some(({video}) => video.currentTime < 1) && performance.now() < settle) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  window.__hlsTiles = players;
  return players.filter(({video}) => video.currentTime >= 1).length;
}
"""
)
HLS_SAMPLER = """
async ([sampleMs]) => {
  const players = window.__hlsTiles;
  const start = players.map(({video}) => video.currentTime);
  const lags = players.map(() => []);
  const until = performance.now() + sampleMs;
  while (performance.now() < until) {
    players.forEach(({hls}, i) => { if (hls.playingDate) lags[i].push((Date.now() - hls.playingDate.getTime()) / 1000); });
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const taken = players.map(({video}, i) => ({transport: 'hls.js', advanced: video.currentTime - start[i], lags: lags[i]}));
  players.forEach(({hls, video}) => { hls.destroy(); video.remove(); });
  return taken;
}
"""


def descendants(root: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def playing_after(playing, count: int, timeout: float) -> tuple[int, float]:
    """(tiles playing, seconds waited) once all `count` play, or when `timeout` is up: a tile
    that never starts is a finding, not a reason to stop."""
    began = time.monotonic()
    while (now := playing()) < count and time.monotonic() - began < timeout:
        time.sleep(1)
    return now, round(time.monotonic() - began, 1)


def cpu_while(sample, groups: dict[str, list[int]]) -> tuple[object, dict[str, float]]:
    """Run `sample()` and give its result with each group's CPU over it, % of one core."""
    before = {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}
    started = time.monotonic()
    result = sample()
    elapsed = time.monotonic() - started
    return result, {
        name: round(100 * sum(cpu_seconds(pid) - seen[pid] for pid in seen) / elapsed, 1)
        for name, seen in before.items()
    }


def tiles_row(label: str, tiles: list[dict], cpu: dict[str, float], count: int) -> dict:
    lags = [statistics.median(tile["lags"]) for tile in tiles if tile["lags"]]
    arrivals = [statistics.median(tile["arrivals"]) for tile in tiles if tile.get("arrivals")]
    return {
        "player": label,
        "tiles": count,
        "on_socket": sum(1 for tile in tiles if tile["transport"] == "socket"),
        "advancing": sum(1 for tile in tiles if tile["advanced"] > WINDOW_S / 2),
        "within_1s": sum(1 for lag in lags if lag <= 1.0),
        "latency_median_s": round(statistics.median(lags), 2) if lags else None,
        "latency_worst_s": round(max(lags), 2) if lags else None,
        # The socket's part of the latency: the node's clock to the page receiving the fragment.
        **(
            {
                "arrival_median_s": round(statistics.median(arrivals), 2),
                "arrival_worst_s": round(max(arrivals), 2),
            }
            if arrivals
            else {}
        ),
        **{f"cpu_{name}_pct": value for name, value in cpu.items()},
        "load_1min": round(os.getloadavg()[0], 1),
    }


def run(scale: int) -> list[dict]:
    if not has_chromium():
        return [{"skipped": "no Chromium"}]
    count = 64 if scale >= 4 else 32 if scale >= 2 else 16
    grid = 4 if count <= 16 else 8
    var_dir = setup_django()

    from cameras.models import Camera
    from cameras.simulator import LeaseFollowingCamera
    from cameras.simulator_clip import prepared_clip

    redis = contextlib.ExitStack()
    redis.enter_context(bench_redis())  # REDIS_URL's, or an embedded one
    agency = contracted_agency()
    cameras = [
        Camera.objects.create(
            agency=agency, name=f"tile {n:02d}", kind=Camera.Kind.PUBLIC, source=Camera.Source.PUSH,
            lat=41.88 + n / 10000, lon=-87.63,
        )
        for n in range(count)
    ]  # fmt: skip
    user, authenticator = dispatcher_with_authenticator(agency)
    port, (node, web) = start_node_and_web(var_dir)
    # One clip for every device: the simulator's cost is what is kept low, not each tile's label.
    clip = prepared_clip(Path(tempfile.mkdtemp(dir=var_dir)), "bench tile")
    devices = [LeaseFollowingCamera(camera, follow=True, clip=clip) for camera in cameras]
    rows = []
    try:
        for device in devices:
            device.start()
        wait_for(
            lambda: Camera.objects.filter(pk__in=[c.pk for c in cameras], status=Camera.Status.LIVE).count()
            == count,
            60 + 2 * count,
            f"all {count} relayed cameras going live",
        )
        with wall_page(port, user, authenticator, viewport=VIEWPORT) as page:
            for wall, label in ((cameras_on(cameras), "socket (MSE)"), ([], "hls.js")):
                page.evaluate("(wall) => localStorage.setItem('rtcc.wall', JSON.stringify(wall))", wall)
                page.reload()
                page.wait_for_function("() => window.rtccWall !== undefined")
                groups = {
                    "page": [pid for pid in descendants(os.getpid()) if "chrom" in command_name(pid)],
                    "node": [node.pid, *descendants(node.pid)],
                    "web": [web.pid],
                    "devices": [device.process.pid for device in devices if device.process],
                }
                if wall:
                    started = playing_after(lambda: page.evaluate(TILES_PLAYING), count, 60 + 2 * count)
                    time.sleep(3)  # let the players settle at the edge
                    events_start = page.evaluate(LIVE_STATS)
                    tiles, cpu = cpu_while(lambda: page.evaluate(TILE_SAMPLER, [WINDOW_S * 1000]), groups)
                    events_end = page.evaluate(LIVE_STATS)
                else:
                    began = time.monotonic()
                    started = (
                        page.evaluate(HLS_TILES, [[c.pk for c in cameras], grid]),
                        round(time.monotonic() - began, 1),
                    )
                    time.sleep(3)
                    tiles, cpu = cpu_while(lambda: page.evaluate(HLS_SAMPLER, [WINDOW_S * 1000]), groups)
                row = {**tiles_row(label, tiles, cpu, count), "started": started[0], "start_s": started[1]}
                if wall:
                    row["events_to_start"] = events_start
                    row["events_in_window"] = {k: events_end[k] - events_start[k] for k in events_end}
                rows.append(row)
        rows.append(simulator_row(devices[:SIMULATOR_SAMPLE]))
    finally:
        for device in devices:
            device.stop()
        stop([node, web])
        redis.close()
    socket_row, hls_row = rows[:2]
    if hls_row["cpu_page_pct"]:
        socket_row["page_cpu_ratio_to_hlsjs"] = round(socket_row["cpu_page_pct"] / hls_row["cpu_page_pct"], 2)
    return rows


def simulator_row(devices) -> dict:
    """What a simulated camera costs: the clip pushed with -c copy, against encoding the
    pattern live (as `SimulatedCamera` without a clip does) for the same cameras, one after
    the other; % of one core per camera."""
    from cameras.simulator import LeaseFollowingCamera

    def per_camera(pushers) -> float:
        time.sleep(3)  # connected and past the encoder's start
        _, cpu = cpu_while(
            lambda: time.sleep(WINDOW_S), {"pushers": [p.process.pid for p in pushers if p.process]}
        )
        return round(cpu["pushers"] / len(pushers), 2)

    copied = per_camera(devices)
    for device in devices:
        device.stop()
    live = [LeaseFollowingCamera(device.camera, follow=True) for device in devices]
    try:
        for device in live:
            device.start()
        wait_for(lambda: all(device.is_running for device in live), 30, "the live encoders calling")
        encoded = per_camera(live)
    finally:
        for device in live:
            device.stop()
    return {
        "simulator": f"{len(devices)} cameras",
        "clip_copy_cpu_pct_per_camera": copied,
        "live_encode_cpu_pct_per_camera": encoded,
        "ratio": round(copied / encoded, 2) if encoded else None,
    }


def cameras_on(cameras) -> dict:
    """The wall as the browser keeps it: an 8x8 grid (4x4 for 16 cameras), its first tiles filled."""
    grid = 4 if len(cameras) <= 16 else 8
    return {"grid": grid, "tiles": [camera.pk for camera in cameras] + [None] * (grid * grid - len(cameras))}

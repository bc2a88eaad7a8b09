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

On demand (`python -m bench wall_substreams_on_demand`, `run_on_demand`): the same wall of
cameras, now `on_demand` with substreams, each on a box of its own, so that only the page's
grid tiles demand them, and only their substreams. Baseline, same run and page: the boxes'
agent says 0.3.0, too old to be told to push a substream alone, so the node relays each
camera's main stream beside its substream (as before the substream could be relayed alone);
then the boxes say this release's agent (`devices.edge.__version__`), and the node relays the
substream alone (`RelayLease.srt_port` null, no main ffmpeg, the box's main push ends). Each
phase also counts the node's ffmpeg relays, the leases' ports and the bytes the boxes push.
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


class Wall:
    """What both benches share: the cameras, their simulated boxes, a relay node and web tier."""

    def __init__(self, var_dir: Path, count: int, box_for=None, **fields):
        from cameras.models import Camera
        from cameras.simulator import LeaseFollowingCamera
        from cameras.simulator_clip import prepared_clip

        self.count = count
        self.redis = contextlib.ExitStack()
        self.redis.enter_context(bench_redis())
        self.agency = contracted_agency()
        self.cameras = [
            Camera.objects.create(
                agency=self.agency, name=f"tile {n:02d}", kind=Camera.Kind.PUBLIC, source=Camera.Source.PUSH,
                lat=41.88 + n / 10000, lon=-87.63, substream=True,
                **({"device": box_for(n, self.agency)} if box_for else {}), **fields,
            )
            for n in range(count)
        ]  # fmt: skip
        self.ids = [camera.pk for camera in self.cameras]
        self.user, self.authenticator = dispatcher_with_authenticator(self.agency)
        self.port, (self.node, self.web) = start_node_and_web(var_dir)
        clips = Path(tempfile.mkdtemp(dir=var_dir))
        main_clip = prepared_clip(clips, "bench main", **MAIN)
        sub = {**SUB, "clip": prepared_clip(clips, "bench sub", **SUB)}
        self.devices = [
            LeaseFollowingCamera(camera, follow=True, clip=main_clip, substream=sub)
            for camera in self.cameras
        ]

    def start_devices(self) -> None:
        for device in self.devices:
            device.start()

    def page(self):
        return wall_page(self.port, self.user, self.authenticator, viewport=VIEWPORT)

    def show_all(self, page) -> None:
        """Every camera on one grid of the page, from a fresh load."""
        page.evaluate(
            "(wall) => localStorage.setItem('rtcc.wall', JSON.stringify(wall))", cameras_on(self.cameras)
        )
        page.reload()
        page.wait_for_function("() => window.rtccWall !== undefined")

    def cpu_groups(self, pushes) -> dict:
        return {
            "page": [pid for pid in descendants(os.getpid()) if "chrom" in command_name(pid)],
            "node": [self.node.pid, *descendants(self.node.pid)],
            "web": [self.web.pid],
            "devices": pushes,
        }

    def close(self) -> None:
        for device in self.devices:
            device.stop()
        stop([self.node, self.web])
        self.redis.close()


def with_ratios(row: dict, baseline: dict, keys, name: str, count: int) -> None:
    """`row`'s figures as ratios to the same run's `baseline`, and the grid's size."""
    for key in keys:
        if baseline.get(key):
            row[f"{key.removesuffix('_pct')}_ratio_to_{name}"] = round(row[key] / baseline[key], 2)
    row["grid"] = f"{math.isqrt(count)}x{math.isqrt(count)}"


def run(scale: int) -> list[dict]:
    """Every grid tile on the cameras' main streams (baseline), then on their substreams."""
    if not has_chromium():
        return [{"skipped": "no Chromium"}]
    count = 64 if scale >= 4 else 16
    var_dir = setup_django()

    from cameras.models import Camera

    wall = Wall(var_dir, count)
    rows = []
    try:
        wall.start_devices()
        wait_for(
            lambda: Camera.objects.filter(pk__in=wall.ids, status=Camera.Status.LIVE).count() == count,
            60 + 2 * count,
            f"all {count} relayed cameras going live",
        )
        with wall.page() as page:
            for substream, label in ((False, "main 1280x720 (baseline)"), (True, "substream 320x240")):
                Camera.objects.filter(pk__in=wall.ids).update(substream=substream)
                wall.show_all(page)
                started = playing_after(lambda: page.evaluate(TILES_PLAYING), count, 60 + 2 * count)
                time.sleep(3)  # let the players settle at the edge
                groups = wall.cpu_groups(running_pushes(wall.devices))
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
        wall.close()
    main_row, sub_row = rows
    with_ratios(sub_row, main_row, ("cpu_page_pct", "cpu_node_pct", "cpu_devices_pct"), "main", count)
    return rows


AGENT_BEFORE_SUBSTREAM_ALONE = "0.3.0"


def read_bytes(pid: int) -> int:
    """Bytes the process has read (`rchar`): a box's ffmpeg reads its MPEG-TS clip at the clip's
    own rate (`-re`) and sends it on as it is (`-c copy`), so this is what it pushes, before
    SRT's headers, encryption and retransmissions."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def relays_of(node_pid: int) -> int:
    # /proc's comm is cut at 15 characters: imageio's binary shows as "ffmpeg-linux-x8".
    return sum(1 for pid in descendants(node_pid) if command_name(pid).startswith("ffmpeg"))


def running_pushes(devices) -> list[int]:
    return [
        child.process.pid
        for device in devices
        for child in (device, device.sub)
        if child is not None and child.is_running
    ]


def leases_of(ids) -> dict:
    from cameras.relay.models import RelayLease

    leases = RelayLease.objects.filter(camera_id__in=ids)
    return {
        "leases": leases.count(),
        "main_ports": leases.filter(srt_port__isnull=False).count(),
        "sub_ports": leases.filter(sub_srt_port__isnull=False).count(),
    }


def run_on_demand(scale: int) -> list[dict]:
    """Grid tiles on on-demand cameras: main relayed beside the substream (boxes too old to push
    the substream alone, baseline), then the substream alone, same page and run."""
    if not has_chromium():
        return [{"skipped": "no Chromium"}]
    count = 64 if scale >= 4 else 16
    var_dir = setup_django()

    from devices.edge import __version__ as edge_agent_version
    from devices.models import Device

    def box(n, agency):
        return Device.objects.create(
            serial=f"BENCH-TILE-{n:02d}", agency=agency, state=Device.State.ONLINE,
            agent_version=AGENT_BEFORE_SUBSTREAM_ALONE,
        )  # fmt: skip

    wall = Wall(var_dir, count, box_for=box, relay_mode="on_demand")
    ids, devices = wall.ids, wall.devices
    boxes = Device.objects.filter(cameras__in=ids)
    phases = (
        (AGENT_BEFORE_SUBSTREAM_ALONE, count, "main beside sub (agent 0.3.0, baseline)"),
        (edge_agent_version, 0, f"substream alone (agent {edge_agent_version})"),
    )
    rows = []
    try:
        wall.start_devices()
        with wall.page() as page:
            wall.show_all(page)
            for agent_version, main_ports, label in phases:
                boxes.update(agent_version=agent_version)
                began = time.monotonic()
                wait_for(
                    lambda main_ports=main_ports: leases_of(ids)
                    == {"leases": count, "main_ports": main_ports, "sub_ports": count},
                    60 + 2 * count,
                    f"{main_ports} main and {count} substream ports held",
                )
                switched_s = round(time.monotonic() - began, 1)
                started = playing_after(lambda: page.evaluate(TILES_PLAYING), count, 60 + 2 * count)
                # A box's main push ends once SRT finds no node listening: measure without it.
                wait_for(
                    lambda main_ports=main_ports: len(running_pushes(devices)) == count + main_ports,
                    30,
                    f"{count + main_ports} pushes from the boxes",
                )
                time.sleep(3)  # let the players settle at the edge
                pushes = running_pushes(devices)
                groups = wall.cpu_groups(pushes)
                relays_before, pushed_before, clock = (
                    relays_of(wall.node.pid),
                    sum(map(read_bytes, pushes)),
                    time.monotonic(),
                )
                tiles, cpu = cpu_while(lambda: page.evaluate(TILE_SAMPLER, [WINDOW_S * 1000]), groups)
                pushed = sum(map(read_bytes, pushes)) - pushed_before
                elapsed = time.monotonic() - clock
                decoded = collections.Counter(page.evaluate(DECODED))
                rows.append(
                    {
                        **tiles_row(label, tiles, cpu, count),
                        "started": started[0],
                        "start_s": started[1],
                        "switched_s": switched_s,
                        "decoded": dict(decoded),
                        **leases_of(ids),
                        "node_relays": f"{relays_before} / {relays_of(wall.node.pid)}",
                        "box_pushes": len(pushes),
                        "pushed_kbit_s": round(8 * pushed / elapsed / 1000),
                    }
                )
    finally:
        wall.close()
    before, alone = rows
    keys = ("cpu_page_pct", "cpu_node_pct", "cpu_devices_pct", "pushed_kbit_s")
    with_ratios(alone, before, keys, "baseline", count)
    return rows

"""N cameras through the relay fleet on one node, against N bare `ffmpeg -c copy`
SRT-to-HLS processes on the same streams, in the same run.

The cameras are edge devices pushing a pre-encoded H.264 clip over SRT (AES-256) with
stream copy, so the cores go to what is measured. Per relay: CPU (ffmpeg plus the node's
share of its Python process), PSS (the same), and time from start to live. The fleet's
relays also write fragments for the wall's socket and cut recordings from their HLS
segments (in the node's Python), which the bare baseline does not; the ratio says what all
of that costs. Snapshots are made only when asked for, and nothing asks here. `python -m
bench relays --scale N` runs 4 x N cameras.
"""

import functools
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._django import setup_django

CAMERAS_PER_SCALE = 4
WINDOW_S = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def ffmpeg_pids_under(folder: Path) -> list[int]:
    from rtcc.ffmpeg import running_ffmpegs

    marker = str(folder).encode()
    return [pid for pid, argv in running_ffmpegs() if any(marker in a for a in argv)]


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """{thread id: (what it does, CPU seconds)} of one process: the relays name their threads
    `<kind>-<camera id>` (cameras/relay/process.py); any other thread counts as "node".

    Seconds from the scheduler's own count (`schedstat`, in nanoseconds), not from `stat`: there
    each thread's time is cut down to whole clock ticks (10 ms), and fifty threads that each run
    a few milliseconds a second lose about that much apiece to the cut, 0.1 s in a 10 s window,
    which `by_kind` then counted as CPU of threads that ended (none had)."""
    threads = {}
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
            seconds = thread_seconds(stat.parent, tail.split())
        except OSError:
            continue
        kind, _, number = head.split("(", 1)[1].rpartition("-")
        threads[int(stat.parent.name)] = (kind if kind and number.isdigit() else "node", seconds)
    return threads


def thread_seconds(task: Path, stat_fields: list[str]) -> float:
    """The thread's CPU seconds: `schedstat`'s run time where the kernel keeps one, else `stat`'s ticks."""
    try:
        return int((task / "schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return (int(stat_fields[11]) + int(stat_fields[12])) / CLOCK_TICKS


def by_kind(before: dict, after: dict, total: float, elapsed: float, count: int) -> dict[str, float]:
    """% of one core per relay spent by each kind of thread between two `thread_cpu` readings;
    "ended": the rest of the process's CPU seconds in between (`total`, from its `stat`, whole
    ticks), spent by threads gone by the second reading, within a tick or two of rounding."""
    spent: dict[str, float] = {}
    for tid, (kind, seconds) in after.items():
        spent[kind] = spent.get(kind, 0.0) + seconds - before.get(tid, (kind, 0.0))[1]
    spent["ended"] = total - sum(spent.values())
    return {kind: round(100 * seconds / elapsed / count, 3) for kind, seconds in sorted(spent.items())}


def measure(groups: list[list[int]], threads_of: int | None = None, count: int = 1):
    """For each group of pids: (CPU % of one core, PSS MB), over the same WINDOW_S; with
    `threads_of`, also that process's CPU per relay by kind of thread (`by_kind`)."""
    before = [{pid: cpu_seconds(pid) for pid in pids} for pids in groups]
    if threads_of:
        threads_before, total_before = thread_cpu(threads_of), cpu_seconds(threads_of)
    start = time.monotonic()
    time.sleep(WINDOW_S)
    elapsed = time.monotonic() - start
    if threads_of:
        threads_after, total = thread_cpu(threads_of), cpu_seconds(threads_of) - total_before
        threads = by_kind(threads_before, threads_after, total, elapsed, count)
        return [*measure_rows(groups, before, elapsed), threads]
    return measure_rows(groups, before, elapsed)


def measure_rows(groups, before, elapsed) -> list[tuple[float, float]]:
    return [
        (
            100 * sum(cpu_seconds(pid) - seen[pid] for pid in pids) / elapsed,
            sum(pss_kb(pid) for pid in pids) / 1024,
        )
        for pids, seen in zip(groups, before, strict=True)
    ]


class CopyDevice:
    """An edge device pushing a pre-encoded H.264 clip in a loop (`-c copy`): almost no CPU,
    so the machine's cores go to the relays being measured, not to test-pattern encoders."""

    def __init__(self, ffmpeg: str, clip: Path, url):
        # `url`: the SRT URL, or a function giving it (None while no relay node listens), as a box
        # learns where to push from its orders.
        self.url = url
        self.argv = [
            ffmpeg,
            "-nostdin",
            "-loglevel",
            "error",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
            str(clip),
            "-c",
            "copy",
            "-f",
            "mpegts",
        ]
        self.process: subprocess.Popen | None = None

    @property
    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        url = self.url() if callable(self.url) else self.url
        if url is None:
            return
        self.process = subprocess.Popen(
            [*self.argv, url], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def stop(self) -> None:
        if self.is_running:
            self.process.kill()
        if self.process is not None:
            self.process.wait()


def caller_url(camera, host: str, port: int) -> str:
    return f"srt://{host}:{port}?mode=caller&passphrase={camera.srt_passphrase}&pbkeylen=32&streamid={camera.stream_id}"


def leased_url(camera):
    """Where the camera's box pushes now: the port its relay node leased, or None before."""
    from cameras.relay.ports import push_target  # Django is set up by the caller

    target = push_target(camera)
    return caller_url(camera, *target) if target else None


def make_clip(ffmpeg: str, folder: Path) -> Path:
    """A 640x360 H.264 clip at 15 fps with a 1 s GOP, about 1 Mbit/s, in MPEG-TS (the simulator's clip)."""
    from cameras.simulator_clip import prepared_clip  # Django is set up by the caller

    return prepared_clip(
        folder, "relay bench", width=640, height=360, fps=15, bitrate="1M", ffmpeg_path=ffmpeg
    )


def keep_running(devices) -> None:
    for device in devices:
        if not device.is_running:
            device.start()


def wait_live(count: int, devices, started: float, live_now) -> dict:
    """{id: seconds from `started` to live} of what `live_now()` lists, until all `count` are, or time is up."""
    live_after = {}
    deadline = time.monotonic() + 30 + 5 * count
    while len(live_after) < count and time.monotonic() < deadline:
        keep_running(devices)
        for key in live_now():
            live_after.setdefault(key, time.monotonic() - started)
        time.sleep(0.2)
    return live_after


def stop_everything(node, processes, devices, redis) -> None:
    """End a run: the relay node, bare ffmpeg processes, simulated boxes, then Redis."""
    for process in ([node] if node is not None else []) + list(processes):
        process.kill()
        process.wait()
    for device in devices:
        device.stop()
    redis.stop()


def contracted_agency_and_owner(device_quota: int):
    """An agency with a contract active today and a camera owner: (agency, owner). Django is set up."""
    from datetime import date, timedelta

    from django.contrib.auth import get_user_model

    from agencies.models import Agency
    from billing.models import Contract, Package

    agency = Agency.objects.create(slug="bench", name="Bench PD", lat=41.88, lon=-87.63)
    package = Package.objects.create(slug="bench", name="Bench", price_per_device_year=0)
    Contract.objects.create(
        agency=agency,
        package=package,
        reference="BENCH",
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=1),
        device_quota=device_quota,
        price_per_device_year=0,
        status=Contract.Status.ACTIVE,
    )
    return agency, get_user_model().objects.create_user("bench-owner")


def run(scale: int) -> list[dict]:
    var_dir = setup_django()
    from django.conf import settings

    from cameras.models import Camera, Consent
    from cameras.relay.layout import live_dir
    from cameras.relay.node import relay_spec
    from cameras.relay.process import RelayProcess
    from rtcc.embedded_redis import EmbeddedRedis
    from rtcc.ffmpeg import find_ffmpeg

    count = CAMERAS_PER_SCALE * max(scale, 1)
    redis = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
    agency, owner = contracted_agency_and_owner(device_quota=count)
    cameras = []
    for n in range(count):
        camera = Camera.objects.create(
            agency=agency, owner=owner, name=f"bench {n}", lat=41.88, lon=-87.63, source=Camera.Source.PUSH
        )
        Consent.objects.create(camera=camera, level=Consent.Level.LIVE)
        cameras.append(camera)
    ffmpeg = find_ffmpeg().path
    clip = make_clip(ffmpeg, Path(var_dir))
    devices = [CopyDevice(ffmpeg, clip, functools.partial(leased_url, camera)) for camera in cameras]
    # The baselines listen without a node: each camera on a fixed port of the range.
    ports = {camera.pk: settings.RTCC_SRT_PORT_RANGE[0] + n for n, camera in enumerate(cameras)}
    live_root = live_dir(0).parent
    rows = []
    node = None
    bare: list[subprocess.Popen] = []
    try:
        # The fleet: one relay node in its own process, as deployed.
        started = time.monotonic()
        node = subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "relay_node", "--name", "bench"],
            env={**os.environ, "RTCC_VAR_DIR": var_dir, "LOG_LEVEL": "WARNING"},
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        live_after = wait_live(
            count,
            devices,
            started,
            lambda: Camera.objects.filter(status=Camera.Status.LIVE).values_list("pk", flat=True),
        )
        if len(live_after) < count:
            raise RuntimeError(f"only {len(live_after)} of {count} relays went live")
        (relay_cpu, relay_pss), (node_cpu, node_pss), node_threads = measure(
            [ffmpeg_pids_under(live_root), [node.pid]], threads_of=node.pid, count=count
        )
        node.send_signal(signal.SIGTERM)
        node.wait(30)
        node = None
        for device in devices:
            device.stop()
        devices = [CopyDevice(ffmpeg, clip, caller_url(c, "127.0.0.1", ports[c.pk])) for c in cameras]

        # The baseline: bare stream copy from the same SRT push to HLS, nothing else.
        started = time.monotonic()
        for camera in cameras:
            folder = live_root / f"bare-{camera.pk}"
            folder.mkdir(parents=True, exist_ok=True)
            port = ports[camera.pk]
            url = f"srt://0.0.0.0:{port}?mode=listener&passphrase={camera.srt_passphrase}&pbkeylen=32"
            bare.append(
                subprocess.Popen(
                    [
                        ffmpeg,
                        "-nostdin",
                        "-loglevel",
                        "error",
                        "-i",
                        url,
                        "-c",
                        "copy",
                        "-f",
                        "hls",
                        "-hls_time",
                        "1",
                        "-hls_list_size",
                        "6",
                        "-hls_flags",
                        "delete_segments",
                        "-hls_segment_filename",
                        str(folder / "seg-%d.ts"),
                        str(folder / "index.m3u8"),
                    ],
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        bare_live = wait_live(
            count,
            devices,
            started,
            lambda: [c.pk for c in cameras if (live_root / f"bare-{c.pk}" / "index.m3u8").exists()],
        )
        ((bare_cpu, bare_pss),) = measure([[p.pid for p in bare]])
        for process in bare:
            process.kill()
            process.wait()
        bare = []

        # The second baseline: the relay's own ffmpeg (same command line and outputs) run by
        # hand, without a node: what the supervision costs. Its recorders run in this process,
        # which is not measured.
        same = [RelayProcess(relay_spec(camera, ports[camera.pk])) for camera in cameras]
        for relay in same:
            relay.start()
        deadline = time.monotonic() + 30 + 5 * count
        while time.monotonic() < deadline and not all(r.progress.last_frame_at for r in same):
            keep_running(devices)
            time.sleep(0.2)
        ((same_cpu, same_pss),) = measure([[r.pid for r in same if r.pid]])
        for relay in same:
            relay.stop()
        same_cpu, same_pss = same_cpu / count, same_pss / count
        fleet_cpu, fleet_pss = (relay_cpu + node_cpu) / count, (relay_pss + node_pss) / count
        bare_cpu, bare_pss = bare_cpu / count, bare_pss / count
        rows.append(
            {
                "relays": count,
                "fleet_cpu_pct": round(fleet_cpu, 2),
                "fleet_ffmpeg_cpu_pct": round(relay_cpu / count, 2),
                "node_cpu_pct": round(node_cpu / count, 3),
                "node_threads_cpu_pct": node_threads,
                "bare_cpu_pct": round(bare_cpu, 2),
                "cpu_ratio": round(fleet_cpu / bare_cpu, 2) if bare_cpu else None,
                "same_outputs_cpu_pct": round(same_cpu, 2),
                "cpu_ratio_same_outputs": round(fleet_cpu / same_cpu, 2) if same_cpu else None,
                "fleet_pss_mb": round(fleet_pss, 1),
                "fleet_ffmpeg_pss_mb": round(relay_pss / count, 1),
                "bare_pss_mb": round(bare_pss, 1),
                "pss_ratio": round(fleet_pss / bare_pss, 2) if bare_pss else None,
                "same_outputs_pss_mb": round(same_pss, 1),
                "fleet_live_s": round(statistics.median(live_after.values()), 1),
                "bare_live_s": round(statistics.median(bare_live.values()), 1) if bare_live else None,
            }
        )
    finally:
        stop_everything(node, bare, devices, redis)
    return rows

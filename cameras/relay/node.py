"""A relay node: one process that keeps an ffmpeg relay running for each camera it leases.

Every pass (about once a second, or at once when woken by a consent or demand change) the
node: heartbeats; reads the desired state (continuous cameras, and on-demand cameras someone
demands, that the consent rule allows); stops relays that may no longer run; renews its
leases and drops any relay whose lease it lost; claims cameras that no live node holds
and that hash to it among the live nodes; and supervises each ffmpeg: live while frames
arrive, stalled after `RTCC_RELAY_STALL_SECONDS` without one, restarted after a crash
or a stall with capped exponential backoff and jitter.

Beside a pushed camera's relay, the node runs a second ffmpeg for the camera's substream
while a wall's grid tile shows it (its demand, `cameras.relay.demand`): on a port of its own,
under the same lease, stopped with the main relay (docs/wall.md, "Substreams"). An on-demand
camera demanded only on its substream has that ffmpeg alone: no main relay, no main port, so
its box pushes only the substream; the main relay starts beside it when the main stream is
demanded, and stops again after the linger.
"""

import hashlib
import logging
import os
import random
import shutil
import socket
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone

from cameras.consent import credential_refusal, live_refusal
from cameras.models import Camera
from cameras.relay import leases
from cameras.relay.boxes import pushes_substream_alone, tell_boxes
from cameras.relay.clock import database_now_plus
from cameras.relay.demand import DemandUnknown, demanded_streams
from cameras.relay.desired import desired_cameras, relay_cameras
from cameras.relay.fragments import MAIN, SUB
from cameras.relay.layout import live_dir, playlist_path
from cameras.relay.models import RelayLease, RelayNode
from cameras.relay.orphans import ffmpeg_dying_with_parent
from cameras.relay.ports import PortPool, check_port_range, substream_id
from cameras.relay.process import RelayProcess, RelaySpec
from cameras.relay.status import (
    IDLE_REASON,
    PAUSED_REASON,
    EventLoopThread,
    do_set_camera_status,
    record_frames_of,
    send_events,
)
from cameras.relay.wake import WakeListener, wake_nodes
from rtcc.ffmpeg import find_ffmpeg

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 0.5
# A node stops its ffmpeg this long before its lease would lapse unrenewed, so the
# node that takes the camera next never overlaps with it.
LEASE_SAFETY_SECONDS = 3.0
# How often the fence thread checks the leases' local deadlines.
FENCE_PERIOD_SECONDS = 0.25
# ffmpeg gets this long to exit on SIGTERM before SIGKILL.
STOP_TIMEOUT_SECONDS = 2.0
ACTIVE_STATUSES = ["starting", "live", "stalled", "backoff"]


class NodeNameInUse(RuntimeError):
    pass


def limit_statement_time(sender, connection, **kwargs) -> None:
    """In a relay node, every PostgreSQL statement ends within RTCC_RELAY_STATEMENT_SECONDS."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false)",
                [f"{settings.RTCC_RELAY_STATEMENT_SECONDS}s"],
            )


def backoff_seconds(failures: int, cap: float, rng=random) -> float:
    """Full-jitter exponential backoff: between half and all of min(cap, base * 2^(n-1))."""
    ceiling = min(cap, BACKOFF_BASE_SECONDS * 2 ** max(failures - 1, 0))
    return rng.uniform(ceiling / 2, ceiling)


def nodes_by_preference(camera_id: int, node_names) -> list[str]:
    """Rendezvous hashing: each camera ranks the live nodes, and only its share moves when one dies."""
    return sorted(
        node_names, key=lambda name: hashlib.sha256(f"{name}:{camera_id}".encode()).digest(), reverse=True
    )


def preferred_node(camera_id: int, node_names) -> str:
    return nodes_by_preference(camera_id, node_names)[0]


def assigned_node(camera_id: int, capacity: dict[str, int], load: dict[str, int]) -> str | None:
    """The camera's most preferred live node with room, or None when every node is full."""
    for name in nodes_by_preference(camera_id, capacity):
        if load.get(name, 0) < capacity[name]:
            return name
    return None


def relay_spec(camera, srt_port: int | None = None):
    masks = tuple((m.x, m.y, m.width, m.height) for m in camera.privacy_masks.all())
    # An on-demand camera is watched, never kept: no recording at the hub.
    record = camera.relay_mode == Camera.RelayMode.CONTINUOUS
    if camera.source == Camera.Source.PULL:
        return RelaySpec(
            camera_id=camera.pk, source="pull", url=camera.source_url, masks=masks, record=record
        )
    return RelaySpec(
        camera_id=camera.pk,
        source="push",
        srt_port=srt_port,
        passphrase=camera.srt_passphrase,
        stream_id=camera.stream_id,
        masks=masks,
        record=record,
    )


def substream_spec(spec, srt_port: int):
    """The camera's substream beside its main relay `spec`: pushed on a port of its own, fragments only."""
    return replace(spec, srt_port=srt_port, stream_id=substream_id(spec.stream_id), record=False, stream=SUB)


# A substream's ffmpeg that exited (its box not yet pushing, a listener timeout) starts again after this.
SUB_RESTART_SECONDS = 0.5
# A substream that is not H.264 is not relayed for this long (its box would have to change).
SUB_REFUSED_SECONDS = 600
# A substream relayed alone that gives no frame for this long (its box cannot reach the camera's
# substream, say) is given up for SUB_ALONE_FAILED_SECONDS: the camera's main relay starts instead,
# so a grid tile shows the main stream rather than "Starting…" for ever.
SUB_ALONE_START_SECONDS = 15
SUB_ALONE_FAILED_SECONDS = 300  # doubled each time again, up to an hour, until the substream plays


@dataclass
class Relay:
    """What the node knows of one camera it relays."""

    camera_id: int
    agency_id: int
    spec: object
    process: object = None
    status: str = ""
    failures: int = 0
    restarts: int = 0
    restart_at: float = 0.0
    process_started_at: datetime | None = None
    lease_valid_until: float = 0.0
    written_at: float = 0.0
    last_frame: datetime | None = None
    window_mtime: float = 0.0  # the playlist's: a new segment, a new picture to show
    last_error: str = ""
    reason: str = ""
    quiet_restart: bool = False
    fenced: bool = False  # its ffmpeg was killed by the lease fence
    sub: object = None  # the substream's process, while a grid tile shows it
    sub_spec: object = None  # what its box is told to push as the substream; None: nothing
    sub_restart_at: float = 0.0
    main: bool = True  # its main stream is relayed; False: its substream alone (only that is demanded)
    sub_good_at: float = 0.0  # relayed alone: when its substream last gave a frame, or went alone


class RelayNodeRunner:
    def __init__(
        self,
        name: str,
        *,
        srt_host: str = "",
        interval: float = 1.0,
        capacity: int | None = None,
        process_factory=None,
    ):
        self.name = name
        self.capacity = capacity or settings.RTCC_RELAY_CAPACITY
        self.srt_host = srt_host or settings.RTCC_SRT_HOST
        self.interval = interval
        self.lease_seconds = settings.RTCC_RELAY_LEASE_SECONDS
        self.stall_seconds = settings.RTCC_RELAY_STALL_SECONDS
        self.backoff_cap = settings.RTCC_RELAY_BACKOFF_MAX_SECONDS
        self.status_seconds = settings.RTCC_RELAY_STATUS_SECONDS
        self.process_factory = process_factory
        self.node: RelayNode | None = None
        self.relays: dict[int, Relay] = {}
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.listener: WakeListener | None = None
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.swept_at = 0.0
        self.demanded: set[int] = set()
        self.demanded_sub: set[int] = set()
        # {camera id: monotonic time}: substreams not relayed until then (not H.264, or no frames
        # alone), kept by camera so that a relay claimed again does not try them at once.
        self.sub_refused: dict[int, float] = {}
        self.sub_silences: dict[int, int] = {}  # {camera id: times its substream alone gave nothing}
        self.pass_started = time.monotonic()
        # Cameras this node marked `no_capacity`; cleared when they are relayed or no longer wanted.
        self.unplaced: set[int] = set()
        # Cameras that fell to this node while its port range was full.
        self.portless: set[int] = set()
        # The reconcile period (of RTCC_RELAY_RECONCILE_SECONDS, counted on the clock) of the
        # last pass that read the whole desired state; None: none yet.
        self.reconciled_period: int | None = None
        # Set by `drain()` (a deploy): run nothing, take nothing, until the process restarts.
        self.draining = False
        self.ports = PortPool(*settings.RTCC_SRT_PORT_RANGE)
        self.events = EventLoopThread()  # the periodic frame and snapshot events go out on it

    # Life cycle

    def register(self, wait: float | None = None) -> RelayNode:
        """Take the node's name; wait for a dead holder's heartbeat to go stale, never share it."""
        deadline = time.monotonic() + (self.lease_seconds + 2 if wait is None else wait)
        fields = {
            "hostname": self.hostname,
            "pid": self.pid,
            "srt_host": self.srt_host,
            "capacity": self.capacity,
            "stopped_at": None,
        }
        while True:
            RelayNode.objects.get_or_create(
                name=self.name,
                defaults={**fields, "heartbeat_at": database_now_plus(-(self.lease_seconds + 1))},
            )
            taken = (
                RelayNode.objects.filter(name=self.name)
                .filter(~leases.alive(self.lease_seconds) | Q(stopped_at__isnull=False))
                .update(**fields, started_at=Now(), heartbeat_at=Now())
            )
            if taken:
                self.node = RelayNode.objects.get(name=self.name)
                # Leases of an earlier life of this name: their ffmpeg died with it.
                leases.release_all(self.node.pk)
                return self.node
            if time.monotonic() > deadline:
                raise NodeNameInUse(f"relay node name {self.name!r} is in use by a live node")
            time.sleep(0.5)

    @staticmethod
    def limit_database_time() -> None:
        """Every connection this process opens from now on limits its statements' time."""
        connection_created.connect(limit_statement_time, dispatch_uid="relay-statement-timeout")
        close_old_connections()
        connection.close()  # the next query opens a limited one

    def check_ports(self) -> None:
        """Raise PortRangeRefused, with what to do, when this node's port range cannot be used."""
        check_port_range(self.ports.low, self.ports.high)

    def run(self) -> None:
        self.check_ports()
        self.limit_database_time()
        self.register()
        logger.info("relay node %s running (pid %s)", self.name, self.pid)
        self.listener = WakeListener(self.wake)
        self.listener.start()
        self.start_fence()
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    self.run_once()
                except NodeNameInUse:
                    logger.error("relay node %s was replaced by another process; stopping", self.name)
                    break
                except Exception:
                    logger.exception("relay node %s: pass failed", self.name)
                    close_old_connections()
                self.enforce_local_lease_expiry()
                self.wake.wait(max(0.05, self.interval - (time.monotonic() - started)))
                self.wake.clear()
        finally:
            self.shutdown()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def drain(self) -> int:
        """Hand every camera to the other nodes: the next pass stops them all and frees their leases."""
        self.draining = True
        self.capacity = 0
        self.wake.set()
        return len(self.relays)

    def describe(self) -> dict:
        """What `celery inspect relays` reports of this node (read from another thread: copies only)."""
        relays = list(self.relays.values())
        return {
            "node": self.name,
            "capacity": self.capacity,
            "srt_port_range": f"{self.ports.low}-{self.ports.high}",
            "load": len(relays),
            "draining": self.draining,
            "cameras": [
                {
                    "camera": relay.camera_id,
                    "srt_port": relay.spec.srt_port,
                    "sub_srt_port": relay.sub_spec.srt_port if relay.sub_spec is not None else None,
                    "status": relay.status,
                    "reason": relay.reason,
                    "restarts": relay.restarts,
                    "bitrate_kbps": relay.process.progress.bitrate_kbps if relay.process is not None else 0,
                }
                for relay in relays
            ],
        }

    def shutdown(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.stop_processes(list(self.relays.values()))
        try:
            for camera_id in list(self.relays):
                if leases.release(self.node.pk, camera_id):
                    do_set_camera_status(camera_id, "offline", "The relay node stopped.")
                    wake_nodes(camera_id)  # another node takes it over at once
            tell_boxes(self.pushed())
            RelayNode.objects.filter(pk=self.node.pk, pid=self.pid).update(stopped_at=Now())
        except Exception:
            logger.exception("relay node %s: could not release its leases", self.name)
        self.relays.clear()
        self.events.close()
        logger.info("relay node %s stopped", self.name)

    # One pass

    def run_once(self, at: datetime | None = None) -> None:
        """One pass; `at` is the moment whose desired state to apply (default: now)."""
        # The leases renewed and claimed in this pass expire `lease_seconds` after the
        # database's now when their statement runs, which comes after this moment whatever the
        # clocks say; their local deadlines count from here, not from after the scan below.
        self.pass_started = time.monotonic()
        at = at or timezone.now()
        pushed_before = self.pushed()
        beat = RelayNode.objects.filter(pk=self.node.pk, pid=self.pid, hostname=self.hostname).update(
            heartbeat_at=Now(), stopped_at=None, capacity=self.capacity
        )
        if not beat:
            raise NodeNameInUse(self.name)
        desired = {} if self.draining else self.desired_now(at)
        # Renew first: stopping relays below can take seconds, and the leases of the
        # relays that keep running must not lapse meanwhile.
        held = leases.renew(self.node.pk, self.relays.keys())
        lost = [self.relays.pop(c) for c in list(self.relays) if c not in held]
        for relay in lost:
            logger.warning("relay node %s lost the lease of camera %s", self.name, relay.camera_id)
            # Lapsed but perhaps not yet taken: free it, so its port is ours to give again,
            # and say so, as the lapsed lease no longer does, so that another node places it.
            if leases.release(self.node.pk, relay.camera_id):
                wake_nodes(relay.camera_id)
            self.ports.give_back(relay.camera_id)
        for relay in self.relays.values():
            relay.lease_valid_until = self.pass_started + self.lease_seconds - LEASE_SAFETY_SECONDS
            relay.fenced = False
        # Masks and passphrases of what it relays: the desired state read none. A passphrase
        # that cannot be decrypted (a restored dump, a lost key) stops its relay, never restarts
        # it without encryption.
        held_cameras = relay_cameras(self.relays.keys() & desired.keys())
        for camera_id, camera in held_cameras.items():
            if credential_refusal(camera):
                desired.pop(camera_id, None)
        unwanted = [self.relays.pop(c) for c in list(self.relays) if c not in desired]
        self.stop_processes(lost + unwanted)
        for relay in unwanted:
            self.ports.give_back(relay.camera_id)
            clear_live_window(relay.camera_id)
            if not leases.release(self.node.pk, relay.camera_id):
                continue
            if self.draining:
                do_set_camera_status(relay.camera_id, "starting", "Moving to another relay node.")
                wake_nodes(relay.camera_id)  # the other nodes place it now, not at their reconcile
            else:
                do_set_camera_status(relay.camera_id, *status_after_stop(relay.camera_id, at))
        for camera_id, relay in self.relays.items():
            if camera_id not in held_cameras:
                continue  # deleted since the desired state was read: the next pass stops it
            self.follow_main_demand(relay, held_cameras[camera_id])
            spec = relay_spec(held_cameras[camera_id], self.ports.held.get(camera_id))
            if spec != relay.spec:
                # A new privacy mask, URL or passphrase must apply now, not at the next fault.
                self.stop_process(relay)
                relay.spec = spec
                if relay.main:
                    self.start_process(
                        relay, "starting", "The camera's settings changed; restarting its relay."
                    )
        self.claim_new(desired, at)
        for relay in list(self.relays.values()):
            self.supervise(relay)
        self.supervise_substreams(desired)
        self.tell_boxes_of_changes(pushed_before)
        self.write_stats()
        if time.monotonic() - self.swept_at > 5:
            self.swept_at = time.monotonic()
            sweep_orphaned_statuses()

    def desired_now(self, at: datetime) -> dict:
        """The desired state this pass decides on, with work in proportion to what changed.

        Once per reconcile period, and when a wake message names no camera (an agency-wide
        change), every camera. Otherwise only those whose answer can have changed: the ones this
        node relays (so a revoke, an expiry, a closing schedule or a demand that ran out stops
        them within a pass), the ones wake messages named (consent, a demand opened or closed, a
        camera edited), the ones whose lease lapsed (a node died) and the ones waiting for
        capacity or a port. What only the clock changes (a schedule window opening) waits for the next
        period, which is aligned to the clock: with 60 s, at each whole minute.
        """
        woken, everything = self.listener.take() if self.listener is not None else (set(), False)
        demanded = self.current_demand()
        period = int(at.timestamp() // settings.RTCC_RELAY_RECONCILE_SECONDS)
        if everything or period != self.reconciled_period:
            desired = desired_cameras(at, demanded)
            self.reconciled_period = period
            return desired
        among = self.relays.keys() | woken | self.unplaced | self.portless | leases.lapsed()
        return desired_cameras(at, demanded, among=among)

    def pushed(self) -> dict[int, object]:
        """{camera id: spec} of the pushed cameras this node relays: what their boxes were told."""
        return {c: (r.spec, r.sub_spec) for c, r in self.relays.items() if r.spec.source == "push"}

    def tell_boxes_of_changes(self, before: dict) -> None:
        """Boxes whose cameras this node started, stopped or re-specified read their orders again."""
        after = self.pushed()
        changed = {c for c in before.keys() | after.keys() if before.get(c) != after.get(c)}
        tell_boxes(changed)

    def current_demand(self) -> set[int]:
        """The on-demand cameras wanted now: either stream demanded."""
        try:
            streams = demanded_streams()
            self.demanded, self.demanded_sub = streams[MAIN], streams[SUB]
        except DemandUnknown:
            logger.warning("relay node %s: demand unknown (Redis); keeping the last known", self.name)
        return self.demanded | self.demanded_sub

    def claim_new(self, desired: dict, at: datetime) -> None:
        """Claim the wanted cameras that rank this node first among the live nodes with room."""
        wanted = [c for c in desired if c not in self.relays]
        unplaced = set()
        if wanted:
            unplaced = self.claim_by_capacity(wanted)
        else:
            self.portless = set()  # what waited for a port is relayed or no longer wanted
        for camera_id in self.unplaced - unplaced:
            if camera_id not in self.relays and not leases.is_held(camera_id):
                do_set_camera_status(camera_id, *status_after_stop(camera_id, at))
        for camera_id in unplaced - self.unplaced:
            do_set_camera_status(camera_id, Camera.Status.NO_CAPACITY, NO_CAPACITY_REASON)
        self.unplaced = unplaced

    def claim_by_capacity(self, wanted: list[int]) -> set[int]:
        """Claim what falls to this node; return the cameras no node has room for that rank it first."""
        capacity = dict(
            RelayNode.objects.filter(leases.alive(self.lease_seconds), stopped_at__isnull=True).values_list(
                "name", "capacity"
            )
        )
        capacity[self.name] = self.capacity
        load = leases.held_per_node()
        load[self.name] = len(self.relays)
        elsewhere = leases.held_elsewhere(self.node.pk)
        unplaced = set()
        self.portless = set()
        mine = []
        for camera_id in wanted:
            if camera_id in elsewhere:
                continue
            node = assigned_node(camera_id, capacity, load)
            if node is None:
                if preferred_node(camera_id, capacity) == self.name:
                    unplaced.add(camera_id)  # one node says so, not every node
                continue
            load[node] = load.get(node, 0) + 1  # taken there, as that node will see it
            if node != self.name:
                if camera_id in self.unplaced:
                    # Only this node knew it waited for room: the node that has room now must hear of it.
                    wake_nodes(camera_id)
                continue
            mine.append(camera_id)
        # Masks and passphrases for these only (the desired state read none), before any claim:
        # a camera claimed is started at once, so its status never says "live" for a relay gone.
        cameras = relay_cameras(mine)
        for camera_id in mine:
            camera = cameras.get(camera_id)
            if camera is None:
                continue  # deleted since the desired state was read
            if refusal := credential_refusal(camera):
                # One passphrase that cannot be decrypted fails its camera, not the pass; tried
                # again at the next full reconcile.
                do_set_camera_status(camera_id, Camera.Status.ERROR, refusal)
                continue
            port = None
            alone = self.substream_alone(camera)
            if camera.source == Camera.Source.PUSH and not alone:
                port = self.ports.take(camera_id)
                if port is None:
                    do_set_camera_status(camera_id, Camera.Status.ERROR, self.no_port_reason())
                    self.portless.add(camera_id)  # decided again every pass until a port frees
                    continue
            if not leases.claim(self.node.pk, camera_id, srt_port=port):
                self.ports.give_back(camera_id)
                continue
            relay = Relay(
                camera_id=camera_id, agency_id=camera.agency_id, spec=relay_spec(camera, port), main=not alone
            )
            relay.lease_valid_until = self.pass_started + self.lease_seconds - LEASE_SAFETY_SECONDS
            self.relays[camera_id] = relay
            if relay.main:
                self.start_process(relay, "starting", "Starting the relay.")
            else:  # its substream starts in this pass's `supervise_substreams`
                relay.sub_good_at = time.monotonic()
                self.set_status(relay, "starting", SUBSTREAM_STARTING)
                self.write_lease(relay, force=True)
        return unplaced

    def start_fence(self) -> threading.Thread:
        """The lease fence in its own thread: a pass that hangs (a database that does not answer)
        must not keep ffmpeg running past the lease it last renewed, and the pass loop alone
        would check only between passes."""
        fence = threading.Thread(target=self.fence_until_stopped, name="relay-lease-fence", daemon=True)
        fence.start()
        return fence

    def fence_until_stopped(self) -> None:
        while not self.stopping.wait(FENCE_PERIOD_SECONDS):
            try:
                self.fence_lapsed_leases()
            except Exception:  # the fence must outlive any one failure: it is the last guard
                logger.exception("relay node %s: the lease fence failed; it tries again", self.name)

    def fence_lapsed_leases(self) -> list[int]:
        """SIGKILL the ffmpeg of every relay whose lease was not renewed in time, main stream and
        substream alike; the pass loop reaps them."""
        now = time.monotonic()
        fenced = []
        for relay in list(self.relays.values()):
            # Read once: the pass loop may set either to None meanwhile, in its own thread.
            process, sub = relay.process, relay.sub
            if relay.lease_valid_until >= now or relay.fenced or (process is None and sub is None):
                continue
            relay.fenced = True
            for running in (process, sub):
                if running is not None:
                    running.kill_now()
            fenced.append(relay.camera_id)
            logger.warning(
                "relay node %s: the lease of camera %s was not renewed in time; its ffmpeg is killed",
                self.name,
                relay.camera_id,
            )
        return fenced

    def enforce_local_lease_expiry(self) -> None:
        """Stop ffmpeg for leases this node could not renew in time (the database was unreachable)."""
        now = time.monotonic()
        for camera_id in [c for c, r in self.relays.items() if r.lease_valid_until < now]:
            logger.warning(
                "relay node %s could not renew camera %s in time; stopping it", self.name, camera_id
            )
            self.stop_process(self.relays.pop(camera_id))
            self.ports.give_back(camera_id)

    # Processes

    def new_process(self, spec):
        if self.process_factory is not None:
            return self.process_factory(spec)
        return RelayProcess(spec, ffmpeg=ffmpeg_dying_with_parent(find_ffmpeg().path))

    def start_process(self, relay: Relay, status: str, reason: str) -> None:
        relay.process = self.new_process(relay.spec)
        relay.last_frame = None
        try:
            relay.process.start()
        except Exception as error:  # a missing binary or a refused URL: report, retry later
            relay.last_error = str(error)[:300]
            relay.process = None
            self.schedule_restart(relay, "error", f"The relay could not start: {relay.last_error}")
            return
        relay.process_started_at = timezone.now()
        self.set_status(relay, status, reason)
        self.write_lease(relay, force=True)

    def stop_process(self, relay: Relay) -> None:
        self.stop_substream(relay)
        self.stop_main(relay)

    def stop_main(self, relay: Relay) -> None:
        if relay.process is not None:
            stop_logged(relay.process, "relay", relay.camera_id)
            relay.process = None

    def stop_processes(self, relays: list[Relay]) -> None:
        """Stop several relays at once: a revoke of many cameras waits for the slowest, not the sum."""
        in_parallel(self.stop_process, relays)

    def schedule_restart(self, relay: Relay, status: str, reason: str) -> None:
        relay.failures += 1
        delay = backoff_seconds(relay.failures, self.backoff_cap)
        relay.restart_at = time.monotonic() + delay
        self.set_status(relay, status, f"{reason} Restarting in {delay:.1f} s.")
        self.write_lease(relay, force=True)

    def supervise(self, relay: Relay) -> None:
        if not relay.main:
            self.supervise_substream_alone(relay)
            return
        process = relay.process
        if process is None:
            if time.monotonic() >= relay.restart_at:
                if relay.quiet_restart:
                    # Counted like any restart: a listener that restarts every few seconds must not
                    # look like one that never restarted.
                    relay.quiet_restart = False
                    relay.restarts += 1
                    self.start_process(relay, relay.status, relay.reason)
                    return
                relay.restarts += 1
                after_stall = relay.status == "stalled"
                self.start_process(
                    relay,
                    "stalled" if after_stall else "starting",
                    relay_status_reason_after_restart(relay, after_stall),
                )
            return
        if not process.is_running:
            relay.last_error = (process.last_error or "")[:300]
            code = process.returncode
            framed = process.progress is not None and process.progress.frames > 0
            self.stop_process(relay)
            detail = f" ({relay.last_error})" if relay.last_error else ""
            if relay.spec.source == "push" and PORT_IN_USE in relay.last_error:
                self.move_port(relay)
            elif code is not None and code < 0:
                self.schedule_restart(relay, "backoff", f"ffmpeg was killed (signal {-code}).")
            elif relay.spec.source == "push" and not framed:
                # A listener that timed out waiting for its device: listen again at once,
                # without backoff, so the device finds it when it comes back.
                relay.restart_at = time.monotonic() + BACKOFF_BASE_SECONDS
                relay.quiet_restart = True
                if relay.status not in {"stalled", "starting"}:
                    self.set_status(relay, "starting", "Waiting for the camera's device to connect.")
            elif framed:
                self.schedule_restart(relay, "stalled", f"The video stopped{detail}.")
            else:
                self.schedule_restart(relay, "backoff", f"ffmpeg exited with code {code}{detail}.")
            return
        progress = process.progress
        now = timezone.now()
        last_frame = progress.last_frame_at if progress is not None else None
        if last_frame is not None and (now - last_frame).total_seconds() < self.stall_seconds:
            if relay.status != "live":
                relay.failures = 0
                self.set_status(relay, "live", "")
            relay.last_frame = last_frame
            return
        # Before the first frame the process allows a start grace (probing, the first keyframe).
        if not process.is_stalled(self.stall_seconds):
            return
        if last_frame is None and relay.spec.source == "push":
            # A listener with no caller yet has nothing to restart: it waits for the device.
            if relay.status not in {"stalled", "starting"}:
                self.set_status(relay, "starting", "Waiting for the camera's device to connect.")
            return
        self.stop_process(relay)
        seen = f" since {timezone.localtime(last_frame):%H:%M:%S}" if last_frame else ""
        self.schedule_restart(relay, "stalled", f"No video{seen} for over {self.stall_seconds} s.")

    # Substreams

    def wants_substream(self, relay: Relay, camera) -> bool:
        """A pushed camera whose box sends a substream, shown in a grid tile now; never a masked one
        (its substream would need a transcode of its own: its grid tile plays the main stream).
        Only beside a running main relay (in its backoff the substream stops with it), or alone
        where only it is demanded. Never while a main relay waits for a port: substreams take
        theirs from the same range."""
        process = relay.process
        return (
            camera.offers_substream(masked=bool(relay.spec.masks))
            # Alone, the substream holds the camera's one port; beside a main relay, a second.
            and (not relay.main or (not self.portless and process is not None and process.is_running))
            and relay.camera_id in self.demanded_sub
            and not self.substream_refused(relay.camera_id)
            and not self.draining
        )

    def substream_alone(self, camera) -> bool:
        """Whether to relay only the camera's substream: an on-demand pushed camera whose
        substream alone is demanded (grid tiles show it), that can be relayed as it is (no
        mask, H.264, frames coming) by a box that knows such an order. Its box then pushes only
        that. `camera` comes from `relay_cameras`."""
        return (
            camera.relay_mode == Camera.RelayMode.ON_DEMAND
            and camera.offers_substream(masked=bool(camera.privacy_masks.all()))
            and camera.pk in self.demanded_sub
            and camera.pk not in self.demanded
            and pushes_substream_alone(camera.device)
            and not self.draining
            and not self.substream_refused(camera.pk)
        )

    def refuse_substream(self, relay: Relay, seconds: float) -> None:
        self.sub_refused[relay.camera_id] = time.monotonic() + seconds

    def substream_refused(self, camera_id: int) -> bool:
        return time.monotonic() < self.sub_refused.get(camera_id, 0.0)

    def follow_main_demand(self, relay: Relay, camera) -> None:
        """Start the main relay beside a substream relayed alone once the main stream is wanted
        (a tile enlarged, an HLS viewer), and stop it, keeping the substream, once it is not."""
        alone = self.substream_alone(camera)
        if relay.main and alone:
            self.stop_main(relay)
            # No stale HLS window is served, and snapshots come from the substream now.
            clear_live_window(relay.camera_id)
            self.ports.give_back_main(relay.camera_id)
            relay.spec = replace(relay.spec, srt_port=None)
            relay.main, relay.restart_at, relay.quiet_restart, relay.failures = False, 0.0, False, 0
            relay.sub_good_at = time.monotonic()
            leases.record_process(self.node.pk, relay.camera_id, srt_port=None)
            logger.info("camera %s: only its substream is watched; its main relay stops", relay.camera_id)
        elif not relay.main and not alone:
            port = None
            if relay.spec.source == "push":
                port = self.ports.take(relay.camera_id)
                if port is None:
                    return  # the range is full: the substream goes on alone; tried again next pass
                leases.record_process(self.node.pk, relay.camera_id, srt_port=port)
            relay.spec = relay_spec(camera, port)  # as read now: a mask added meanwhile applies at once
            relay.main = True
            # The substream plays on meanwhile: a live camera stays live while its main relay starts.
            live = relay.status == "live"
            self.start_process(
                relay, relay.status if live else "starting", relay.reason if live else "Starting the relay."
            )

    def supervise_substream_alone(self, relay: Relay) -> None:
        """The status of a camera whose substream alone is relayed comes from that ffmpeg."""
        # Judged by the newest frame, not by whether its ffmpeg runs this instant: a substream
        # restarting (an exit, a new spec) or not yet started after its main relay stopped is
        # not a stall until no frame came for the stall time.
        sub = relay.sub
        progress = sub.progress if sub is not None else None
        last_frame = progress.last_frame_at if progress is not None else None
        if last_frame is not None and (relay.last_frame is None or last_frame > relay.last_frame):
            relay.last_frame = last_frame
            relay.sub_good_at = time.monotonic()
        fresh = relay.last_frame is not None and (
            (timezone.now() - relay.last_frame).total_seconds() < self.stall_seconds
        )
        if fresh:
            self.sub_silences.pop(relay.camera_id, None)
            if relay.status != "live":
                relay.failures = 0
                self.set_status(relay, "live", "")
            return
        if relay.status == "live":
            self.set_status(relay, "stalled", f"No video from the substream for over {self.stall_seconds} s.")
        elif relay.status not in {"starting", "stalled"}:
            self.set_status(relay, "starting", SUBSTREAM_STARTING)
        now = time.monotonic()
        refused_until = self.sub_refused.get(relay.camera_id, 0.0)
        # Counted from the refusal's end too: a refusal that lapsed is a fresh try.
        if now >= refused_until and now - max(relay.sub_good_at, refused_until) > SUB_ALONE_START_SECONDS:
            logger.warning(
                "camera %s: its substream gave no frame for %s s; its main relay starts instead",
                relay.camera_id,
                SUB_ALONE_START_SECONDS,
            )
            silences = self.sub_silences.get(relay.camera_id, 0)
            self.sub_silences[relay.camera_id] = silences + 1
            self.refuse_substream(relay, min(SUB_ALONE_FAILED_SECONDS * 2**silences, 3600))

    def supervise_substreams(self, desired: dict) -> None:
        """Start, keep or stop each camera's substream; their boxes are told where to push (`pushed`)."""
        wanted, unwanted = [], []
        for camera_id, relay in self.relays.items():
            camera = desired.get(camera_id)
            if camera is not None and self.wants_substream(relay, camera):
                wanted.append(relay)
            elif relay.sub_spec is not None or relay.sub is not None:
                unwanted.append(relay)
        # At once: a wall closing its grid releases many substreams in one pass, and the leases
        # of every relay wait for this pass to renew them.
        in_parallel(self.stop_substream, unwanted)
        for relay in unwanted:
            relay.sub_spec = None
            self.ports.give_back((SUB, relay.camera_id))
            leases.record_process(self.node.pk, relay.camera_id, sub_srt_port=None)
        for relay in wanted:
            self.supervise_substream(relay)

    def supervise_substream(self, relay: Relay) -> None:
        key = (SUB, relay.camera_id)
        port = self.ports.take(key)
        if port is None:
            return  # the range is full: the grid tile plays the main stream meanwhile
        spec = substream_spec(relay.spec, port)
        if spec != relay.sub_spec:
            # A new port, passphrase or stream id: what ran before listens for nobody.
            self.stop_substream(relay)
            relay.sub_spec = spec
            leases.record_process(self.node.pk, relay.camera_id, sub_srt_port=port)
        sub = relay.sub
        if sub is not None and sub.is_running:
            return
        if sub is not None:
            error = sub.last_error or ""
            self.stop_substream(relay)
            relay.sub_restart_at = time.monotonic() + SUB_RESTART_SECONDS
            if getattr(sub, "codec_error", ""):
                logger.warning("camera %s: its substream stops: %s", relay.camera_id, sub.codec_error)
                self.refuse_substream(relay, SUB_REFUSED_SECONDS)
                relay.sub_spec = None
                self.ports.give_back(key)
                leases.record_process(self.node.pk, relay.camera_id, sub_srt_port=None)
                return
            if PORT_IN_USE in error:
                self.ports.refuse(key)  # another port next pass; its box is told
                relay.sub_spec = None
                leases.record_process(self.node.pk, relay.camera_id, sub_srt_port=None)
            return
        if time.monotonic() < relay.sub_restart_at:
            return
        relay.sub = self.new_process(relay.sub_spec)
        try:
            relay.sub.start()
        except Exception:
            logger.warning("camera %s: its substream could not start", relay.camera_id, exc_info=True)
            relay.sub = None
            relay.sub_restart_at = time.monotonic() + SUB_RESTART_SECONDS

    def stop_substream(self, relay: Relay) -> None:
        if relay.sub is not None:
            stop_logged(relay.sub, "substream", relay.camera_id)
            relay.sub = None

    def no_port_reason(self) -> str:
        return (
            f"No free SRT port in this relay node's range {self.ports.low}-{self.ports.high} "
            "(RTCC_SRT_PORT_RANGE); the camera starts when one frees up."
        )

    def move_port(self, relay: Relay) -> None:
        """ffmpeg could not bind the camera's port (another program took it): say so, move the
        camera to another port of the range (its box is told) and restart, counted, with backoff."""
        old = relay.spec.srt_port
        self.ports.refuse(relay.camera_id)
        port = self.ports.take(relay.camera_id)
        if port is None:
            self.schedule_restart(
                relay, "error", f"SRT port {old} is in use by another program. {self.no_port_reason()}"
            )
            return
        relay.spec = replace(relay.spec, srt_port=port)
        leases.record_process(self.node.pk, relay.camera_id, srt_port=port)
        self.schedule_restart(
            relay, "error", f"SRT port {old} is in use by another program; the camera moves to port {port}."
        )

    # Storing what we see

    def set_status(self, relay: Relay, status: str, reason: str) -> None:
        relay.status, relay.reason = status, reason
        do_set_camera_status(relay.camera_id, status, reason)

    def write_stats(self) -> None:
        """Every status period per live relay: frame time, snapshot version, lease stats.

        One transaction of four statements and one channel-layer trip for all relays due in
        this pass, however many: with a hundred relays, a commit and an event-loop start per
        camera would cost more CPU than the relays' own ffmpeg copy, and three statements per
        camera a good part of the node's own share.
        """
        now = time.monotonic()
        due = [
            relay
            for relay in self.relays.values()
            if relay.status == "live"
            and relay.last_frame is not None
            and now - relay.written_at >= self.status_seconds
        ]
        if not due:
            return
        frames, taken = {}, set()
        for relay in due:
            # A new segment in the window is a newer picture to show: snapshots are made
            # from it when someone asks (cameras/relay/snapshots.py).
            try:
                # Its substream alone has no window: its newest frame is a newer keyframe soon.
                mtime = (
                    playlist_path(relay.camera_id).stat().st_mtime
                    if relay.main
                    else relay.last_frame.timestamp()
                )
            except OSError:
                mtime = relay.window_mtime
            if mtime != relay.window_mtime:
                taken.add(relay.camera_id)
            relay.window_mtime = mtime
            frames[relay.camera_id] = relay.last_frame
        agencies = {relay.camera_id: relay.agency_id for relay in due}
        with transaction.atomic():
            events = record_frames_of(frames, taken)
            leases.record_processes(
                self.node.pk, {relay.camera_id: self.lease_fields(relay) for relay in due}
            )
            send_events([(agencies[camera_id], event) for camera_id, event in events.items()], self.events)
        for relay in due:
            relay.written_at = now

    def write_lease(self, relay: Relay, force: bool = False) -> None:
        if not force and time.monotonic() - relay.written_at < self.status_seconds:
            return
        relay.written_at = time.monotonic()
        leases.record_process(self.node.pk, relay.camera_id, **self.lease_fields(relay))

    @staticmethod
    def lease_fields(relay: Relay) -> dict:
        process = relay.process if relay.main else relay.sub
        progress = process.progress if process is not None else None
        return {
            "status": relay.status,
            "pid": process.pid if process is not None else None,
            "process_started_at": relay.process_started_at,
            "restarts": relay.restarts,
            "fps": progress.fps if progress is not None else 0,
            "bitrate_kbps": progress.bitrate_kbps if progress is not None else 0,
            "last_error": relay.last_error,
        }


def stop_logged(process, what: str, camera_id: int) -> None:
    """Stop one ffmpeg; a failure is logged, never raised into the pass."""
    try:
        process.stop(timeout=STOP_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("could not stop the %s of camera %s", what, camera_id)


def in_parallel(function, relays: list[Relay]) -> None:
    """`function(relay)` for each relay, in threads of their own when there are several; wait for all."""
    if len(relays) <= 1:
        for relay in relays:
            function(relay)
        return
    threads = [threading.Thread(target=function, args=(relay,)) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def relay_status_reason_after_restart(relay: Relay, after_stall: bool) -> str:
    if after_stall:
        return "Restarted after a stall; waiting for video."
    return f"Restarting the relay (restart {relay.restarts})."


def clear_live_window(camera_id: int) -> None:
    """Delete the playlist, segments and snapshot of a camera that may no longer be seen.

    The media endpoints refuse them already; this keeps no live pixels of a revoked
    camera on disk either. Recordings follow the agency's retention, not this.
    """
    shutil.rmtree(live_dir(camera_id), ignore_errors=True)


# The reason `cameras.relay.process` gives when ffmpeg cannot bind its listening port.
PORT_IN_USE = "port is already in use"
NO_CAPACITY_REASON = "Every relay node is at its capacity; the camera starts when one has room."
SUBSTREAM_STARTING = "Only its substream is watched (grid tiles); waiting for the camera's device to send it."


def status_after_stop(camera_id: int, now) -> tuple[str, str]:
    """Why a relay stopped: the consent rule's refusal, or nobody demanding an on-demand camera."""
    camera = Camera.objects.select_related("agency", "device").filter(pk=camera_id).first()
    if camera is None:
        return "stopped", "The camera was removed."
    if camera.device is not None and camera.device.paused_at is not None:
        return "offline", PAUSED_REASON
    refusal = live_refusal(camera, now)
    if not refusal and camera.relay_mode == Camera.RelayMode.ON_DEMAND:
        return "idle", IDLE_REASON
    return "stopped", refusal or "The camera may no longer be relayed."


def sweep_orphaned_statuses() -> int:
    """Cameras shown as relayed that no node holds (all nodes died): say so, so no stale frame looks live."""
    held = RelayLease.objects.filter(leases.unexpired(), camera_id=OuterRef("pk"))
    orphans = Camera.objects.filter(status__in=ACTIVE_STATUSES).filter(~Exists(held))
    return sum(
        do_set_camera_status(camera_id, "offline", "No relay node is running this camera.")
        for camera_id in orphans.values_list("pk", flat=True)
    )

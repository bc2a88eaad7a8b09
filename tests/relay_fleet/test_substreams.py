"""A camera's substream with a real relay node, real ffmpeg and a simulated box pushing both
streams: relayed while a wall's grid tile demands it, on a port and stream id of its own,
alone (the box pushing nothing else) while nothing demands the main stream."""

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.test import override_settings

from cameras.models import Camera, Consent
from cameras.relay.boxes import pushes_substream_alone
from cameras.relay.demand import add_demand, release_demand
from cameras.relay.fragments import MAIN, SUB, fragments_client, init_key, watched_key
from cameras.relay.layout import playlist_path
from cameras.relay.models import RelayLease
from cameras.relay.node import RelayNodeRunner
from cameras.relay.snapshots import fresh_snapshot
from cameras.simulator import LeaseFollowingCamera
from devices.edge import __version__ as edge_agent_version
from devices.enrollment import device_cameras
from devices.management.commands.simulate_heartbeats import SIMULATED_AGENT
from devices.models import Device
from rtcc.ffmpeg import find_ffmpeg
from tests.relay_fleet.fleet import FleetTestCase, ffmpeg_pids_by_camera, wait_for

pytestmark = pytest.mark.ffmpeg

LINGER = "1"
PORTS = (28950, 28951)
# In a track header (ISO 14496-12 8.3.2, version 0), the width and height (16.16) follow 76 bytes of other fields.
TKHD_SIZE_OFFSET = 76


def snapshot_size(camera_id: int) -> tuple[int, int] | None:
    """The size of the camera's snapshot as a viewer would get it now (its JPEG's frame header)."""
    path = fresh_snapshot(camera_id)
    if path is None:
        return None
    jpeg = path.read_bytes()
    at = jpeg.index(b"\xff\xc0") + 5
    height, width = struct.unpack_from(">HH", jpeg, at)
    return width, height


def picture_size(init: bytes) -> tuple[int, int]:
    at = init.index(b"tkhd") + 4 + TKHD_SIZE_OFFSET
    width, height = struct.unpack_from(">II", init, at)
    return width >> 16, height >> 16


def test_only_a_box_whose_agent_knows_the_order_is_told_to_push_a_substream_alone():
    """An older agent reads an order with no main target as malformed: its cameras keep their main stream."""
    for version, expected in [
        (edge_agent_version, True),
        (SIMULATED_AGENT, True),
        ("0.4.0", True),
        ("1.0.2", True),
        ("0.3.0", False),
        ("0.3.9", False),
        ("", False),
        ("simulated", False),
        ("<script>", False),
    ]:
        assert pushes_substream_alone(Device(agent_version=version)) is expected, version
    assert pushes_substream_alone(None) is False


class SubstreamRelayTests(FleetTestCase):
    def setUp(self):
        super().setUp()
        self.forget_demand()
        self.camera = self.add_camera(
            "Rita's porch", level=Consent.Level.LIVE, relay_mode="on_demand", substream=True
        )
        self.device = self.start_device(self.camera)
        self.start_node("solo", RTCC_RELAY_LINGER_SECONDS=LINGER)

    def start_device(self, camera):
        """A box pushing the main stream at 320x240 and, when told to, the substream at 160x120."""
        device = LeaseFollowingCamera(camera, follow=True, fps=10, substream={"width": 160, "height": 120})
        device.start()
        self.addCleanup(device.stop)
        return device

    def init_of(self, stream: str) -> bytes | None:
        return fragments_client().hget(init_key(self.camera.pk, stream), "data")

    def watch(self, *streams: str) -> None:
        """What a wall's socket reading these streams does: the relays publish only what is watched."""
        for stream in streams:
            fragments_client().set(watched_key(self.camera.pk, stream), b"1", px=120_000)
            self.addCleanup(fragments_client().delete, watched_key(self.camera.pk, stream))

    def sub_port(self):
        return RelayLease.objects.filter(camera=self.camera).values_list("sub_srt_port", flat=True).first()

    def snapshot_version(self) -> int:
        return Camera.objects.values_list("snapshot_version", flat=True).get(pk=self.camera.pk)

    def lease(self) -> RelayLease:
        return RelayLease.objects.get(camera=self.camera)

    def order(self) -> dict | None:
        """What the camera's box is told to push now."""
        return next(c["push"] for c in device_cameras(self.edge_box) if c["id"] == self.camera.pk)

    def test_a_substream_watched_alone_is_pushed_and_relayed_alone_and_main_only_while_demanded(self):
        # Grid tiles only: the substream alone, from the box to the wall; no main listener.
        self.watch(MAIN, SUB)
        add_demand(self.camera.pk, "socket:grid", seconds=60, stream=SUB)
        wait_for(lambda: self.init_of(SUB) is not None, 30, "the substream alone was never published")
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=20)
        self.assertEqual(picture_size(self.init_of(SUB)), (160, 120))
        self.assertIsNone(self.lease().srt_port)
        self.assertIsNotNone(self.lease().sub_srt_port)
        order = self.order()
        self.assertNotIn("port", order)
        self.assertEqual(order["sub"]["port"], self.lease().sub_srt_port)
        self.assertFalse(ffmpeg_pids_by_camera().get(self.camera.pk), "a main relay runs")
        self.assertFalse(self.device.is_running, "the box pushes its main stream")
        self.assertIsNone(self.init_of(MAIN))
        # Its snapshot comes from the substream (the only stream there is), and walls hear of newer ones.
        self.assertEqual(wait_for(lambda: snapshot_size(self.camera.pk), 10, "no snapshot"), (160, 120))
        version = self.snapshot_version()
        wait_for(lambda: self.snapshot_version() > version, 10, "no newer snapshot was announced")

        # Enlarged: the main relay starts beside it, on a port of its own.
        add_demand(self.camera.pk, "session:viewer", seconds=60)
        wait_for(lambda: self.init_of(MAIN) is not None, 30, "the main stream was never published")
        self.assertEqual(picture_size(self.init_of(MAIN)), (320, 240))
        lease = self.lease()
        self.assertNotIn(lease.srt_port, {None, lease.sub_srt_port})
        self.assertEqual(self.order()["port"], lease.srt_port)

        # Its grid tile gone, the substream stops and the main relay goes on.
        release_demand(self.camera.pk, "socket:grid", stream=SUB)
        wait_for(lambda: self.sub_port() is None, 20, "the substream's port outlived its demand")
        wait_for(lambda: self.init_of(SUB) is None, 20, "the substream's fragments outlived its relay")
        wait_for(lambda: not self.device.sub.is_running, 10, "the box still pushes the substream")
        self.assertEqual(self.status_of(self.camera), Camera.Status.LIVE)
        self.assertEqual(len(ffmpeg_pids_by_camera()[self.camera.pk]), 1)

        # Back in a grid tile and shrunk: after the linger the main relay stops, the substream plays on.
        add_demand(self.camera.pk, "socket:grid", seconds=60, stream=SUB)
        wait_for(lambda: self.init_of(SUB) is not None, 30, "the substream never came back")
        release_demand(self.camera.pk, "session:viewer")
        wait_for(lambda: self.lease().srt_port is None, 20, "the main relay outlived its demand")
        wait_for(lambda: not ffmpeg_pids_by_camera().get(self.camera.pk), 10, "the main ffmpeg runs on")
        wait_for(lambda: self.init_of(MAIN) is None, 10, "the main stream's fragments outlived its relay")
        self.assertNotIn("port", self.order())
        self.assertIsNotNone(self.init_of(SUB))
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=10)
        # No stale HLS window stays behind, and the snapshot is the substream's again.
        self.assertFalse(playlist_path(self.camera.pk).exists())
        self.assertEqual(wait_for(lambda: snapshot_size(self.camera.pk), 10, "no snapshot"), (160, 120))


class InProcessNodeCase(FleetTestCase):
    """An in-process node, so that the test sees the relay's processes between passes."""

    def setUp(self):
        super().setUp()
        self.forget_demand()
        self.camera = self.add_camera(
            "Rita's porch", level=Consent.Level.LIVE, relay_mode="on_demand", substream=True
        )
        self.device = LeaseFollowingCamera(self.camera, follow=True, fps=10, substream=self.substream())
        self.device.start()
        self.addCleanup(self.device.stop)
        with override_settings(RTCC_SRT_PORT_RANGE=PORTS):  # two: a main relay and one substream
            self.runner = RelayNodeRunner("in-process", interval=0.5)
        self.runner.register()
        self.addCleanup(self.runner.shutdown)
        add_demand(self.camera.pk, "session:viewer", seconds=60)
        add_demand(self.camera.pk, "socket:grid", seconds=60, stream=SUB)

    def substream(self) -> dict:
        return {"width": 160, "height": 120}

    def relay(self):
        return self.runner.relays.get(self.camera.pk)

    def sub_running(self) -> bool:
        self.runner.run_once()
        relay = self.relay()
        return relay is not None and relay.sub is not None and relay.sub.is_running


class SubstreamBesideItsRelayTests(InProcessNodeCase):
    def test_the_substream_stops_with_its_relay_and_the_fence_kills_it(self):
        wait_for(self.sub_running, 30, "the substream never started")
        relay = self.relay()
        relay.process.kill_now()  # the main relay dies: its restart waits out a backoff
        relay.process.process.wait(10)
        self.runner.run_once()
        self.assertIsNone(relay.process, "the main relay was not in its backoff")
        self.assertIsNone(relay.sub, "the substream was kept while its relay was down")
        self.assertIsNone(RelayLease.objects.get(camera=self.camera).sub_srt_port)

        # Back beside a running main relay, the substream returns; a lease not renewed in time
        # then kills both.
        wait_for(self.sub_running, 30, "the substream never came back beside its relay")
        sub = relay.sub
        relay.lease_valid_until = 0.0
        self.assertEqual(self.runner.fence_lapsed_leases(), [self.camera.pk])
        wait_for(lambda: not sub.is_running, 10, "the fence left the substream running")

    def test_a_camera_waiting_for_a_port_takes_the_one_a_substream_held(self):
        wait_for(self.sub_running, 30, "the substream never started")
        other = self.add_camera("Oak Ave & 2nd", level=Consent.Level.LIVE, relay_mode="on_demand")
        add_demand(other.pk, "session:viewer", seconds=60)

        def other_placed():
            self.runner.reconciled_period = None  # every camera, as at a reconcile (no wake listener here)
            self.runner.run_once()
            return RelayLease.objects.filter(camera=other, srt_port__isnull=False).exists()

        wait_for(other_placed, 20, "a substream kept the port a main relay waited for")
        self.assertIsNone(self.relay().sub)
        self.assertIsNone(RelayLease.objects.get(camera=self.camera).sub_srt_port)
        self.assertEqual(
            set(RelayLease.objects.values_list("srt_port", flat=True)), set(PORTS), "ports outside the range"
        )


class SilentSubstreamTests(InProcessNodeCase):
    def substream(self) -> None:
        return None  # the box says it has one, but never pushes it (its camera's sub URL is dead)

    def test_a_substream_relayed_alone_that_never_plays_gives_way_to_the_main_relay(self):
        release_demand(self.camera.pk, "session:viewer")
        self.forget_demand()  # grid tiles only: the substream alone is demanded
        add_demand(self.camera.pk, "socket:grid", seconds=60, stream=SUB)

        def main_live():
            self.runner.run_once()
            relay = self.relay()
            return relay is not None and relay.main and relay.status == "live"

        with mock.patch("cameras.relay.node.SUB_ALONE_START_SECONDS", 2):
            wait_for(lambda: self.runner.run_once() or self.relay() is not None, 10, "never claimed")
            self.assertFalse(self.relay().main, "not relayed on its substream alone first")
            with self.assertLogs("cameras.relay", "WARNING") as logs:
                wait_for(main_live, 30, "the camera waited on its silent substream")
        self.assertIn("its main relay starts instead", "\n".join(logs.output))
        self.assertIsNotNone(RelayLease.objects.get(camera=self.camera).srt_port)
        self.assertTrue(self.device.is_running, "its box was not told to push the main stream")


class NotH264SubstreamTests(InProcessNodeCase):
    def substream(self) -> dict:
        """A box whose substream is H.265: a clip of it, pushed as is."""
        clip = Path(tempfile.mkdtemp()) / "sub-hevc.ts"
        self.addCleanup(shutil.rmtree, clip.parent)
        pattern = "testsrc2=size=160x120:rate=10"
        subprocess.run(  # noqa: S603 -- an argument list, no shell
            [
                find_ffmpeg().path,
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                pattern,
                "-t",
                "3",
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-g",
                "10",
                "-x265-params",
                "log-level=error",
                "-f",
                "mpegts",
                str(clip),
            ],
            check=True,
        )
        return {"clip": clip}

    def test_a_substream_not_h264_is_not_relayed_and_the_main_stream_plays_on(self):
        def refused():
            self.runner.run_once()
            return any("its substream stops" in line for line in logs.output)

        with self.assertLogs("cameras.relay", "WARNING") as logs:
            wait_for(refused, 40, "the H.265 substream was relayed as is")
        self.assertIn("hevc", "\n".join(logs.output))
        relay = self.relay()
        self.runner.run_once()
        self.runner.run_once()
        self.assertIsNone(relay.sub, "the refused substream started again")
        self.assertIsNone(
            RelayLease.objects.get(camera=self.camera).sub_srt_port, "its box is still told to push"
        )
        self.assertIsNone(fragments_client().hget(init_key(self.camera.pk, SUB), "data"))
        self.assertTrue(relay.process.is_running)

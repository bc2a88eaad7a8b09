"""A camera's substream with a real relay node, real ffmpeg and a simulated box pushing both
streams: relayed beside the main relay only while a wall's grid tile demands it, on a port
and stream id of its own, and never on its own demand alone."""

import shutil
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.test import override_settings

from cameras.models import Camera, Consent
from cameras.relay.demand import add_demand, release_demand
from cameras.relay.fragments import MAIN, SUB, fragments_client, init_key, watched_key
from cameras.relay.models import RelayLease
from cameras.relay.node import RelayNodeRunner
from cameras.simulator import LeaseFollowingCamera
from rtcc.ffmpeg import find_ffmpeg
from tests.relay_fleet.fleet import FleetTestCase, ffmpeg_pids_by_camera, wait_for

pytestmark = pytest.mark.ffmpeg

LINGER = "1"
PORTS = (28950, 28951)
# In a track header (ISO 14496-12 8.3.2, version 0), the width and height (16.16) follow 76 bytes of other fields.
TKHD_SIZE_OFFSET = 76


def picture_size(init: bytes) -> tuple[int, int]:
    at = init.index(b"tkhd") + 4 + TKHD_SIZE_OFFSET
    width, height = struct.unpack_from(">II", init, at)
    return width >> 16, height >> 16


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

    def test_the_substream_is_relayed_only_while_demanded_beside_the_main_stream(self):
        # A substream's demand alone starts nothing: it rides on the main relay.
        self.watch(MAIN, SUB)
        add_demand(self.camera.pk, "socket:grid", seconds=60, stream=SUB)
        time.sleep(3)
        self.assertFalse(ffmpeg_pids_by_camera().get(self.camera.pk))
        self.assertIsNone(self.init_of(SUB))

        add_demand(self.camera.pk, "session:viewer", seconds=60)
        self.wait_status(self.camera, Camera.Status.LIVE, timeout=30, devices=[self.device])
        wait_for(lambda: self.init_of(SUB) is not None, 30, "the substream was never published")
        wait_for(lambda: self.init_of(MAIN) is not None, 30, "the main stream was never published")
        self.assertEqual(picture_size(self.init_of(MAIN)), (320, 240))
        self.assertEqual(picture_size(self.init_of(SUB)), (160, 120))
        lease = RelayLease.objects.get(camera=self.camera)
        self.assertIsNotNone(lease.sub_srt_port)
        self.assertNotEqual(lease.sub_srt_port, lease.srt_port)

        release_demand(self.camera.pk, "socket:grid", stream=SUB)
        wait_for(lambda: self.sub_port() is None, 20, "the substream's port outlived its demand")
        wait_for(lambda: self.init_of(SUB) is None, 20, "the substream's fragments outlived its relay")
        wait_for(lambda: not self.device.sub.is_running, 10, "the box still pushes the substream")
        self.assertEqual(self.status_of(self.camera), Camera.Status.LIVE)
        self.assertEqual(len(ffmpeg_pids_by_camera()[self.camera.pk]), 1)


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

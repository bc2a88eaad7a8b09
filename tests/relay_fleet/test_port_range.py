"""SRT ports from a range per node: handed out with the lease, never inside the kernel's ephemeral
range, a busy port skipped or reported with its reason, and a node that refuses a bad range."""

import os
import socket
import subprocess
import sys
from contextlib import ExitStack

import pytest
from django.conf import settings
from django.test import override_settings

from cameras.models import Camera, Consent
from cameras.relay.models import RelayLease
from cameras.relay.node import RelayNodeRunner
from cameras.relay.ports import PortPool, PortRangeRefused, check_port_range, ephemeral_range
from cameras.relay.process import RelayProcess
from rtcc.ffmpeg import find_ffmpeg
from tests.relay_fleet.fleet import ROOT, FleetTestCase, wait_for


def hold_udp(stack: ExitStack, port: int) -> None:
    """Take the port as another program would."""
    holder = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    holder.bind(("0.0.0.0", port))


def free_block(size: int) -> int:
    """The first port of `size` consecutive UDP ports free now, below the ephemeral range."""
    low = settings.RTCC_SRT_PORT_RANGE[0] + 500
    for start in range(low, low + 400, size):
        with ExitStack() as stack:
            try:
                for port in range(start, start + size):
                    hold_udp(stack, port)
            except OSError:
                continue
        return start
    raise AssertionError("no free block of ports")


def test_a_range_inside_the_ephemeral_ports_is_refused_with_what_to_do():
    with pytest.raises(
        PortRangeRefused, match=r"overlaps the kernel.s ephemeral port range 32768-60999 .*e.g. 31768-32767"
    ):
        check_port_range(31000 + 1768, 33000, ephemeral=(32768, 60999))
    kernel = ephemeral_range()
    assert kernel is not None, "this machine reports its ephemeral range in /proc"
    with pytest.raises(PortRangeRefused, match="ip_local_port_range"):
        check_port_range(kernel[0], kernel[0] + 10)


def test_a_range_whose_every_port_is_taken_is_refused_and_a_pool_skips_taken_ports():
    start = free_block(3)
    with ExitStack() as stack:
        for port in range(start, start + 3):
            hold_udp(stack, port)
        with pytest.raises(PortRangeRefused, match="every port of RTCC_SRT_PORT_RANGE"):
            check_port_range(start, start + 2, ephemeral=(32768, 60999))
    with ExitStack() as stack:
        hold_udp(stack, start)
        pool = PortPool(start, start + 2)
        assert [pool.take(7), pool.take(8), pool.take(9)] == [start + 1, start + 2, None]
        assert pool.take(7) == start + 1  # a camera keeps its port
        pool.give_back(8)
        assert pool.take(9) == start + 2


@pytest.mark.parametrize(
    "argv",
    [
        ["manage.py", "relay_node", "--name", "refused"],
        ["-m", "celery", "-A", "rtcc", "worker", "--relay", "-n", "refused@test", "-Q", "relays-refused",
         "-c", "1", "--without-mingle", "--without-gossip"],
    ],
    ids=["relay_node", "celery-worker"],
)  # fmt: skip
def test_a_node_on_an_overlapping_range_does_not_start_and_says_why(argv):
    kernel = ephemeral_range()
    env = {**os.environ, "RTCC_SRT_PORT_RANGE": f"{kernel[0]}-{kernel[0] + 100}"}
    result = subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90, check=False
    )
    assert result.returncode != 0
    assert "overlaps the kernel's ephemeral port range" in result.stdout + result.stderr


@pytest.mark.ffmpeg
class LeasedPortTests(FleetTestCase):
    def test_a_camera_gets_a_port_of_its_nodes_range_and_a_taken_port_is_skipped(self):
        start = free_block(4)
        with ExitStack() as stack:
            hold_udp(stack, start)  # another program holds the range's first port
            camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE)
            device = self.start_device(camera)
            self.start_node("ranged", RTCC_SRT_PORT_RANGE=f"{start}-{start + 3}")
            self.wait_status(camera, Camera.Status.LIVE, timeout=40, devices=[device])
            self.assertEqual(RelayLease.objects.get(camera=camera).srt_port, start + 1)
            self.assertEqual(RelayLease.objects.get(camera=camera).restarts, 0)


@pytest.mark.ffmpeg
class UnbindablePortTests(FleetTestCase):
    def test_a_port_taken_after_it_was_handed_out_is_a_status_with_its_reason_and_the_camera_moves(self):
        start = free_block(3)
        camera = self.add_camera("Rita's porch", level=Consent.Level.LIVE)
        device = self.start_device(camera)
        taken = ExitStack()
        self.addCleanup(taken.close)
        held = []

        def taken_first(spec):
            # Another program binds the port between the node's probe and ffmpeg's bind.
            if not held:
                hold_udp(taken, spec.srt_port)
                held.append(spec.srt_port)
            return RelayProcess(spec, ffmpeg=find_ffmpeg().path)

        with override_settings(RTCC_SRT_PORT_RANGE=(start, start + 2)):
            runner = RelayNodeRunner("in-process", interval=0.5, process_factory=taken_first)
        runner.register()
        self.addCleanup(runner.shutdown)

        def moved():
            runner.run_once()
            reason = Camera.objects.get(pk=camera.pk).status_reason
            return (
                f"SRT port {start} is in use by another program; the camera moves to port {start + 1}"
                in reason
            )

        wait_for(moved, 20, "the busy port was never reported")
        lease = RelayLease.objects.get(camera=camera)
        self.assertEqual(lease.srt_port, start + 1)

        def live():
            runner.run_once()
            return Camera.objects.get(pk=camera.pk).status == Camera.Status.LIVE

        wait_for(live, 30, "the camera never went live on its new port")
        self.assertTrue(device.is_running)
        self.assertEqual(RelayLease.objects.get(camera=camera).restarts, 1, "the restart was not counted")

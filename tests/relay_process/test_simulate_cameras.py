"""`manage.py simulate_cameras` pushes each push camera's stream to its relay and stops on SIGTERM."""

import dataclasses
import io
import os
import signal
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from cameras.relay.models import RelayLease, RelayNode
from cameras.relay.node import relay_spec
from cameras.relay.ports import push_target
from cameras.relay.process import RelayProcess
from cameras.simulator import LeaseFollowingCamera
from tests.peers.fixtures import free_port, holds_within
from tests.personas import Personas

pytestmark = pytest.mark.ffmpeg


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class SimulateCamerasTests(Personas):
    def test_simulated_device_reaches_its_relay_and_stops_on_sigterm(self):
        camera = self.live_camera
        port = free_port()
        with tempfile.TemporaryDirectory() as media, self.settings(MEDIA_ROOT=Path(media)):
            relay = RelayProcess(dataclasses.replace(relay_spec(camera, port), record=False))
            relay.start()
            before = set(children_of(os.getpid()))
            previous = signal.getsignal(signal.SIGTERM)

            def stop_when_live():
                holds_within(lambda: relay.progress.frames > 0, 15)
                os.kill(os.getpid(), signal.SIGTERM)

            stopper = threading.Thread(target=stop_when_live, daemon=True)
            try:
                stopper.start()
                call_command(
                    "simulate_cameras",
                    "--camera-ids",
                    str(camera.pk),
                    "--host",
                    "127.0.0.1",
                    "--port-base",
                    str(port - camera.pk),
                    stdout=io.StringIO(),
                )
                stopper.join(20)
                assert relay.progress.frames > 0, relay.stderr_text
                leftovers = set(children_of(os.getpid())) - before
                assert not leftovers, f"simulated cameras still running: {leftovers}"
            finally:
                signal.signal(signal.SIGTERM, previous)
                relay.stop()

    def test_devices_push_only_to_the_port_a_relay_node_leased_unless_told_otherwise(self):
        camera = self.live_camera
        device = LeaseFollowingCamera(camera)
        device.start()  # no node listens for it: nothing starts
        assert not device.is_running and device.process is None
        now = timezone.now()
        RelayLease.objects.create(
            camera=camera,
            node=RelayNode.objects.create(name="relay1", srt_host="10.9.8.7"),
            acquired_at=now,
            expires_at=now + timedelta(seconds=30),
            srt_port=31234,
        )
        assert push_target(camera) == ("10.9.8.7", 31234)

"""`manage.py simulate_cameras` pushes each push camera's stream to its relay and stops on SIGTERM."""

import io
import os
import signal
import tempfile
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from cameras.management.commands.simulate_cameras import Command
from cameras.relay.process import RelayProcess, RelaySpec
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
            relay = RelayProcess(
                RelaySpec(
                    camera_id=camera.pk,
                    source="push",
                    srt_port=port,
                    passphrase=camera.srt_passphrase,
                    stream_id=camera.stream_id,
                    record=False,
                )
            )
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

    def test_devices_call_the_cameras_push_target_unless_told_otherwise(self):
        camera = self.live_camera
        defaults = {"host": None, "port_base": None}
        assert Command().target(camera, defaults) == (
            settings.RTCC_SRT_HOST,
            settings.RTCC_SRT_PORT_BASE + camera.pk,
        )
        assert Command().target(camera, {"host": "10.9.8.7", "port_base": 40000}) == (
            "10.9.8.7",
            40000 + camera.pk,
        )

"""The demo's cameras: RTCC_DEMO_CAMERAS street cameras, each pushed from a clip encoded once, with -c copy."""

import dataclasses
import io
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import TestCase

from cameras.models import Camera
from cameras.relay.node import relay_spec
from cameras.relay.process import RelayProcess
from cameras.wall.models import Layout
from rtcc import demo_data
from rtcc.ffmpeg import running_ffmpegs
from tests.peers.fixtures import free_port, holds_within

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def pushers_from(folder: Path) -> list[list[str]]:
    marker = str(folder).encode()
    return [[a.decode() for a in argv] for _, argv in running_ffmpegs() if any(marker in a for a in argv)]


class DemoStreetCamerasTests(TestCase):
    def test_more_street_cameras_are_added_and_a_smaller_run_disables_them(self):
        seeded = demo_data.seed("demo-password-1", SECRET, 7)
        extra = [c for c in seeded["cameras"] if c.name.startswith(demo_data.MORE_STREETS)]
        assert [c.name for c in extra] == ["Street camera 005", "Street camera 006", "Street camera 007"]
        assert all(
            c.kind == Camera.Kind.PUBLIC and c.relay_mode == Camera.RelayMode.CONTINUOUS for c in extra
        )
        assert len({(c.lat, c.lon) for c in extra}) == 3
        layout = Layout.objects.get(name="Street cameras", owner=None)
        streets = [c.pk for c in seeded["cameras"] if c.owner_id is None and c.agency.slug == "riverside-pd"]
        assert (layout.grid, layout.tiles) == (3, [*streets, None, None])

        demo_data.seed("demo-password-1", SECRET, 4)
        assert not Camera.objects.filter(name__startswith=demo_data.MORE_STREETS, enabled=True).exists()
        again = demo_data.seed("demo-password-1", SECRET, 6)
        assert Camera.objects.filter(name__startswith=demo_data.MORE_STREETS, enabled=True).count() == 2
        assert len(again["cameras"]) == len(seeded["cameras"]) - 1

    @pytest.mark.ffmpeg
    def test_simulated_cameras_push_copies_of_clips_encoded_once(self):
        seeded = demo_data.seed("demo-password-1", SECRET, 7)
        cameras = [c for c in seeded["cameras"] if c.name.startswith(demo_data.MORE_STREETS)]
        port = free_port()
        with tempfile.TemporaryDirectory() as media, self.settings(MEDIA_ROOT=Path(media)):
            clips = Path(media) / "clips"
            # The first camera's relay listens; the others call ports nobody listens on, and call again.
            relay = RelayProcess(dataclasses.replace(relay_spec(cameras[0], port), record=False))
            relay.start()
            previous = signal.getsignal(signal.SIGTERM)
            seen = []

            def simulate() -> None:
                call_command(
                    "simulate_cameras",
                    "--camera-ids",
                    ",".join(str(c.pk) for c in cameras),
                    "--host",
                    "127.0.0.1",
                    "--port-base",
                    str(port - cameras[0].pk),
                    "--clips",
                    str(clips),
                    stdout=io.StringIO(),
                )

            def stop_when_pushing() -> None:
                holds_within(lambda: relay.progress.frames > 0 and len(pushers_from(clips)) == 3, 30)
                seen.extend(pushers_from(clips))
                os.kill(os.getpid(), signal.SIGTERM)

            try:
                stopper = threading.Thread(target=stop_when_pushing, daemon=True)
                stopper.start()
                simulate()
                stopper.join(40)
                assert relay.progress.frames > 0, relay.stderr_text
                made = {path: path.stat().st_mtime_ns for path in clips.glob("*.ts")}
                assert len(made) == 3, "one clip per camera: each shows its own name"
                assert len(seen) == 3
                for argv in seen:
                    clip = Path(argv[argv.index("-i") + 1])
                    assert clip in made
                    assert argv[argv.index("-c") + 1] == "copy"
                    assert argv[argv.index("-stream_loop") + 1] == "-1" and "-re" in argv
                    assert "libx264" not in argv

                # A second run (the demo started again) pushes the same files: encoded once.
                seen.clear()
                stopper = threading.Thread(target=stop_when_pushing, daemon=True)
                stopper.start()
                simulate()
                stopper.join(40)
                assert {path: path.stat().st_mtime_ns for path in clips.glob("*.ts")} == made
                assert {argv[argv.index("-i") + 1] for argv in seen} == {str(path) for path in made}
            finally:
                signal.signal(signal.SIGTERM, previous)
                relay.stop()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("sixty-four", "RTCC_DEMO_CAMERAS='sixty-four' is not a whole number"),
        ("3", "RTCC_DEMO_CAMERAS=3 is below the minimum of 4"),
        ("1000", "RTCC_DEMO_CAMERAS=1000 is above the maximum of 256"),
    ],
)
def test_a_bad_camera_count_stops_the_demo_with_the_reason(value, reason):
    env = {**os.environ, "RTCC_DEMO_CAMERAS": value}
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "demo", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert reason in done.stderr


@pytest.mark.ffmpeg
def test_a_clip_is_encoded_at_the_bitrate_asked(tmp_path):
    from cameras.simulator_clip import prepared_clip

    low = prepared_clip(tmp_path, "low", bitrate="100k").stat().st_size
    high = prepared_clip(tmp_path, "high", bitrate="2M").stat().st_size
    assert high > 3 * low, (low, high)

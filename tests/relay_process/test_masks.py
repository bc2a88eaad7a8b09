"""A privacy mask is blacked out in everything the relay writes."""

import subprocess

import pytest

from cameras.relay import layout
from cameras.relay.process import RelaySpec
from cameras.relay.snapshots import fresh_snapshot
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import holds_within

from .conftest import PASSPHRASE

pytestmark = pytest.mark.ffmpeg


def gray_pixels(path, width=32, height=24) -> bytes:
    """The first picture scaled down to width x height, a byte of luma per pixel; b"" if none yet."""
    return subprocess.run(  # noqa: S603
        [find_ffmpeg().path, "-v", "error", "-i", str(path), "-vf", f"scale={width}:{height}"]
        + ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True,
        check=False,
        timeout=30,
    ).stdout


def quadrant_means(pixels: bytes, width=32, height=24) -> tuple[float, float]:
    """Mean luma of the top-left quarter and of the right half."""
    rows = [pixels[row * width : (row + 1) * width] for row in range(height)]
    masked = [value for row in rows[2 : height // 2 - 2] for value in row[2 : width // 2 - 2]]
    clear = [value for row in rows for value in row[width // 2 + 2 :]]
    return sum(masked) / len(masked), sum(clear) / len(clear)


def test_masked_area_is_black_in_the_stream_the_snapshot_and_recordings(relays, srt_camera, srt_port):
    spec = RelaySpec(
        camera_id=31, source="push", srt_port=srt_port, passphrase=PASSPHRASE, masks=((0.0, 0.0, 0.5, 0.5),)
    )
    relay = relays(spec)
    srt_camera(srt_port, PASSPHRASE)
    assert holds_within(
        lambda: len(list(layout.live_dir(31).glob("seg-*.ts"))) >= 2
        and list(layout.recordings_dir(31).glob("*.ts")),
        15,
    ), relay.stderr_text
    snapshot = fresh_snapshot(31)  # made from the masked stream's newest segment
    segment = sorted(layout.live_dir(31).glob("seg-*.ts"))[0]
    recording = next(layout.recordings_dir(31).glob("*.ts"))
    for picture in (snapshot, segment, recording):
        # The recording being written may not hold a whole picture yet.
        assert holds_within(lambda: len(gray_pixels(picture)) == 32 * 24, 10), picture.name  # noqa: B023
        masked, clear = quadrant_means(gray_pixels(picture))
        assert masked < 20 < clear, f"{picture.name}: masked {masked:.0f}, clear {clear:.0f}"


def test_a_masked_relay_starts_without_the_snapshot_an_earlier_run_left(relays, srt_port):
    # Made before the camera's newest mask, perhaps: it must not be served while the new run starts.
    layout.live_dir(32).mkdir(parents=True)
    layout.snapshot_path(32).write_bytes(b"\xff\xd8 unmasked")
    relays(
        RelaySpec(
            camera_id=32, source="push", srt_port=srt_port, passphrase=PASSPHRASE, masks=((0, 0, 1, 1),)
        )
    )
    assert not layout.snapshot_path(32).exists()

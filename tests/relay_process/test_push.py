"""An SRT push relay against a simulated camera, with the real ffmpeg on both ends."""

import os
import re
import socket
import stat
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from cameras.relay import layout
from cameras.relay.process import RelaySpec
from cameras.relay.secrets import secrets_dir
from cameras.relay.snapshots import fresh_snapshot
from tests.peers.fixtures import holds_within

from .conftest import PASSPHRASE, cmdline, jpeg_size

pytestmark = pytest.mark.ffmpeg


def udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def push_spec(port, camera_id=11, **options):
    return RelaySpec(
        camera_id=camera_id,
        source="push",
        srt_port=port,
        passphrase=PASSPHRASE,
        stream_id="dev-11",
        **options,
    )


def segments(camera_id):
    return sorted(layout.live_dir(camera_id).glob("seg-*.ts"))


def test_pushed_stream_becomes_hls_a_snapshot_and_recordings(relays, srt_camera, srt_port):
    relay = relays(push_spec(srt_port))
    srt_camera(srt_port, PASSPHRASE, "dev-11")
    snapshot = layout.snapshot_path(11)
    assert holds_within(lambda: len(segments(11)) >= 2 and relay.progress.frames > 0, 10), relay.stderr_text
    assert not snapshot.exists()  # nobody asked for one: nothing decoded
    assert fresh_snapshot(11) == snapshot
    playlist = layout.playlist_path(11).read_text()
    assert "#EXT-X-PROGRAM-DATE-TIME" in playlist and "seg-" in playlist
    assert jpeg_size(snapshot)[0] <= 320
    assert relay.progress.last_frame_at is not None and relay.progress.fps > 0
    assert relay.source_codec == "h264" and not relay.transcode
    assert holds_within(lambda: relay.progress.bitrate_kbps > 0, 5)
    assert not relay.is_stalled() and relay.last_error == ""
    # Cut at wall-clock multiples of 10 s, each named by its UTC start.
    assert holds_within(lambda: list(layout.recordings_dir(11).glob("*.ts")), 5)
    names = sorted(path.name for path in layout.recordings_dir(11).glob("*.ts"))
    assert names and all(re.fullmatch(r"\d{8}T\d{6}Z\.ts", name) for name in names)
    started = datetime.strptime(names[0], "%Y%m%dT%H%M%SZ.ts").replace(tzinfo=UTC)
    assert abs((timezone.now() - started).total_seconds()) < 30


def test_passphrase_never_appears_in_the_process_arguments(relays, srt_camera, srt_port):
    relay = relays(push_spec(srt_port))
    assert stat.S_IMODE(secrets_dir().stat().st_mode) == 0o700
    assert holds_within(lambda: not list(secrets_dir().glob("*")), 5), "the pipe was not removed"
    srt_camera(srt_port, PASSPHRASE, "dev-11")
    assert holds_within(lambda: relay.progress.frames > 0, 10), relay.stderr_text
    arguments = cmdline(relay.pid)
    assert PASSPHRASE not in arguments and "dev-11" not in arguments and "srt://" not in arguments
    assert "-nostdin" in arguments


def test_wrong_passphrase_gives_no_output_and_a_readable_error(relays, srt_camera, srt_port):
    relay = relays(push_spec(srt_port))
    relay.start_grace_s = 2.0
    camera = srt_camera(srt_port, "not-the-right-passphrase", "dev-11")
    assert holds_within(lambda: not camera.is_running, 10)  # SRT rejected the caller
    assert relay.is_running and relay.progress.frames == 0
    assert not segments(11) and not layout.snapshot_path(11).exists()
    assert holds_within(lambda: "wrong passphrase" in relay.last_error, 5), relay.last_error
    assert PASSPHRASE not in relay.last_error


def test_killed_source_makes_the_relay_stalled_within_six_seconds(relays, srt_camera, srt_port):
    relay = relays(push_spec(srt_port, record=False))
    camera = srt_camera(srt_port, PASSPHRASE, "dev-11")
    assert holds_within(lambda: relay.progress.frames > 0, 10), relay.stderr_text
    assert not relay.is_stalled()
    camera.kill()
    # 5 s after the last frame, which a progress report (each second) may notice up to 1 s late.
    assert holds_within(relay.is_stalled, 7.0)


def test_stop_leaves_no_process(relays, srt_camera, srt_port):
    relay = relays(push_spec(srt_port, record=False))
    srt_camera(srt_port, PASSPHRASE, "dev-11")
    assert holds_within(lambda: relay.progress.frames > 0, 10), relay.stderr_text
    pid = relay.pid
    relay.stop()
    relay.stop()  # idempotent
    assert not relay.is_running and relay.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    assert relay.last_error == ""


def test_a_second_relay_on_the_same_port_fails_with_a_readable_reason(relays, srt_port):
    first = relays(push_spec(srt_port, record=False))
    assert holds_within(lambda: udp_port_taken(srt_port), 10), first.stderr_text
    second = relays(push_spec(srt_port, camera_id=12, record=False))
    assert holds_within(lambda: not second.is_running, 10), second.stderr_text
    assert second.last_error == "the relay's port is already in use"
    assert first.is_running


def test_passphrase_with_quotes_and_url_characters_still_connects(relays, srt_camera, srt_port):
    odd = "it's & #odd = %41 pass"
    relay = relays(RelaySpec(camera_id=13, source="push", srt_port=srt_port, passphrase=odd, record=False))
    srt_camera(srt_port, odd)
    assert holds_within(lambda: relay.progress.frames > 0, 10), relay.stderr_text

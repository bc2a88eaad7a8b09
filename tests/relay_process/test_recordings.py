"""Recordings cut from the relay's HLS segments: 10 s files that players and clips read whole."""

import json
import os
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cameras.footage.clips import cut_clip, list_segments
from cameras.relay import layout
from cameras.relay.process import RelaySpec
from cameras.relay.recorder import Recorder
from cameras.relay.window import listed_segments
from rtcc.ffmpeg import find_ffmpeg
from tests.peers.fixtures import holds_within

from .conftest import PASSPHRASE, make_video

pytestmark = pytest.mark.ffmpeg


def duration_s(path) -> float:
    ffprobe = find_ffmpeg().path.replace("ffmpeg", "ffprobe")
    argv = [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)]
    try:
        output = subprocess.run(argv, capture_output=True, check=True, timeout=30).stdout  # noqa: S603
        return float(json.loads(output)["format"]["duration"])
    except (OSError, subprocess.CalledProcessError):
        # The wheel has no ffprobe: ffmpeg reads the whole file and says how long it was.
        result = subprocess.run(  # noqa: S603
            [
                find_ffmpeg().path,
                "-v",
                "info",
                "-i",
                str(path),
                "-map",
                "0:v",
                "-c",
                "copy",
                "-f",
                "null",
                "-",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        stamp = result.stderr.rsplit("time=", 1)[1].split()[0]
        hours, minutes, seconds = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_a_recording_relay_writes_ten_second_files_from_its_hls_segments(relays, srt_camera, srt_port):
    relay = relays(RelaySpec(camera_id=41, source="push", srt_port=srt_port, passphrase=PASSPHRASE))
    srt_camera(srt_port, PASSPHRASE)
    # The first file runs from the start to the next multiple of 10 s; the second is whole once a third begins.
    assert holds_within(lambda: len(list_segments(41)) >= 3, 40), relay.stderr_text
    assert "segment" not in relay.argv and "image2" not in relay.argv  # HLS is ffmpeg's only file output
    whole = list_segments(41)[1]
    assert whole.start.second % 10 == 0, (
        whole.path.name
    )  # cut at the clock's 10 s, as segment_atclocktime did
    assert 9.0 <= duration_s(whole.path) <= 11.0
    clip = cut_clip(41, whole.start, whole.end)
    try:
        assert [s["name"] for s in clip.segments] == [whole.path.name]
        assert 9.0 <= duration_s(clip.path) <= 11.0
    finally:
        clip.path.unlink()


def hls_window(camera_id: int, seconds: int):
    """A relay's live window of `seconds` 1 s segments, as ffmpeg's HLS muxer writes it; its folder."""
    live = layout.live_dir(camera_id)
    live.mkdir(parents=True)
    hls = ("-c:v", "libx264", "-g", "10", "-f", "hls", "-hls_time", "1", "-hls_list_size", "6")
    hls += ("-hls_flags", "program_date_time", "-hls_segment_filename", str(live / "seg-%d.ts"))
    make_video(layout.playlist_path(camera_id), "-t", str(seconds), *hls)
    return live


def test_a_restarted_relay_begins_a_new_file_and_never_appends_to_an_old_one(media_root):
    hls_window(42, seconds=3)
    first = Recorder(42)
    assert first.collect() == 3 and first.collect() == 0  # each segment once
    # One file, or two if the 3 s crossed a multiple of 10 s.
    sizes = {path: path.stat().st_size for path in layout.recordings_dir(42).glob("*.ts")}
    # The same window seen by the next run's recorder (a restart within the same seconds).
    again = Recorder(42)
    assert again.collect() == 3
    assert {path: path.stat().st_size for path in sizes} == sizes
    names = sorted(path.name for path in layout.recordings_dir(42).glob("*.ts"))
    assert len(names) == 2 * len(sizes) and all(
        datetime.strptime(name, layout.RECORDING_PATTERN).replace(tzinfo=UTC) for name in names
    )


def test_footage_after_a_deletion_order_never_returns_under_an_erased_name(media_root):
    live = hls_window(43, seconds=2)
    # At fixed times, their files written when they ended: no clock correction moves them.
    noon = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    first, second = (
        replace(segment, started=noon + timedelta(seconds=n), duration=1.0)
        for n, segment in enumerate(listed_segments(43)[:2])
    )
    for segment in (first, second):
        ended = segment.started.timestamp() + 1
        os.utime(live / segment.name, (ended, ended))
    recorder = Recorder(43)
    recorder.append(first, live / first.name)
    [erased] = layout.recordings_dir(43).glob("*.ts")
    erased.unlink()  # what erase_camera does to every recording while the relay runs on
    recorder.append(second, live / second.name)
    assert not erased.exists(), "a recording dated before the order came back"
    [kept] = layout.recordings_dir(43).glob("*.ts")
    assert kept.read_bytes() == (live / second.name).read_bytes()

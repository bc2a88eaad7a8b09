"""Fixtures of the portal tests: a private media folder and real recording segments made by ffmpeg."""

import functools
import shutil
import subprocess
import tempfile
from datetime import UTC, timedelta
from pathlib import Path

from django.test import override_settings

from cameras.footage.clips import SEGMENT_NAME_FORMAT
from cameras.relay.layout import recordings_dir
from devices.edge.push import live_h264
from rtcc.ffmpeg import find_ffmpeg

SEGMENT_SECONDS = 10


def post_footage_request(
    client, cameras, start, end, *, case_number="RPD-2026-0042", reason="Burglary on 1st St"
):
    """The API call a dispatcher makes to ask owners for recorded footage of a window."""
    body = {"cameras": cameras, "start": start.isoformat(), "end": end.isoformat()}
    body.update(case_number=case_number, reason=reason)
    return client.post("/api/v1/footage-requests/", body, format="json")


class MediaRootMixin:
    """Each test gets its own MEDIA_ROOT, removed afterwards."""

    def setUp(self):
        super().setUp()
        self.media_root = Path(tempfile.mkdtemp(prefix="rtcc-portal-media-"))
        override = override_settings(MEDIA_ROOT=self.media_root)
        override.enable()
        self.addCleanup(override.disable)
        self.addCleanup(shutil.rmtree, self.media_root, ignore_errors=True)


@functools.cache
def encoded_segments(count: int) -> tuple[Path, ...]:
    """`count` real 10 s MPEG-TS H.264 segments (testsrc, libx264), made once per test run."""
    folder = Path(tempfile.mkdtemp(prefix="rtcc-segments-"))
    subprocess.run(
        [
            find_ffmpeg().path,
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=320x240:rate=10:duration={count * SEGMENT_SECONDS}",
            *live_h264(keyframe_every=10),
            "-f",
            "segment",
            "-segment_time",
            str(SEGMENT_SECONDS),
            "-segment_format",
            "mpegts",
            str(folder / "%03d.ts"),
        ],
        check=True,
        timeout=240,
        capture_output=True,
    )
    segments = tuple(sorted(folder.glob("*.ts")))
    assert len(segments) == count, segments
    return segments


def record_segments(camera_id: int, first_start, count: int) -> list[Path]:
    """Put `count` segments into the camera's recordings folder, named by their UTC start."""
    folder = recordings_dir(camera_id)
    folder.mkdir(parents=True, exist_ok=True)
    placed = []
    for index, source in enumerate(encoded_segments(count)):
        start = first_start + timedelta(seconds=index * SEGMENT_SECONDS)
        target = folder / f"{start.astimezone(UTC).strftime(SEGMENT_NAME_FORMAT)}.ts"
        shutil.copyfile(source, target)
        placed.append(target)
    return placed


def record_minute_with_a_gap(camera_id: int, first_start) -> list[Path]:
    """A minute of recording whose third 10 s segment was lost: 0-20 s, a gap, then 30-60 s."""
    return record_segments(camera_id, first_start, 2) + record_segments(
        camera_id, first_start + timedelta(seconds=3 * SEGMENT_SECONDS), 3
    )

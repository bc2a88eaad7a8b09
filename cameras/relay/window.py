"""The relay's live HLS window as its playlist lists it: which segments, numbered and timed.

Every segment listed is complete: the muxer writes each under a temporary name
(`temp_file`) and renames it before it lists it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cameras.relay import layout


@dataclass(frozen=True)
class ListedSegment:
    sequence: int
    name: str
    started: datetime  # UTC, from the playlist's program date-time
    duration: float = 0.0  # seconds, from #EXTINF


def parse_playlist(text: str) -> list[ListedSegment]:
    """The segments an HLS media playlist lists, each with its sequence number and start time.

    A segment the playlist gives no program date-time is left out: its time is unknown.
    """
    sequence = 0
    started: datetime | None = None
    duration = 0.0
    segments = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            started = parse_program_date_time(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            try:
                duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
            except ValueError:
                duration = 0.0
        elif line and not line.startswith("#"):
            if started is not None:
                segments.append(ListedSegment(sequence, line, started, duration))
            sequence += 1
            started, duration = None, 0.0
    return segments


def parse_program_date_time(value: str) -> datetime | None:
    # ffmpeg writes 2026-11-24T12:40:01.123+0000
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def listed_segments(camera_id: int) -> list[ListedSegment]:
    """The camera's window now, oldest first; [] without a playlist."""
    try:
        return parse_playlist(layout.playlist_path(camera_id).read_text())
    except OSError:
        return []


def newest_segment(camera_id: int) -> Path | None:
    segments = listed_segments(camera_id)
    return layout.live_dir(camera_id) / segments[-1].name if segments else None

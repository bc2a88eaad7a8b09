"""Where a camera's relay writes, all under MEDIA_ROOT.

live/<id>/index.m3u8 and seg-<n>.ts: the HLS window (1 s segments), served by the media views.
live/<id>/snapshot.jpg: the newest segment's first keyframe, at most 320 px wide, made when
asked for (cameras/relay/snapshots.py), replaced atomically.
recordings/<id>/<YYYYmmddTHHMMSSZ>.ts: ~10 s of HLS segments appended together
(cameras/relay/recorder.py), named by their UTC start.
"""

from pathlib import Path

from django.conf import settings

PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg-%d.ts"
SNAPSHOT_NAME = "snapshot.jpg"
RECORDING_PATTERN = "%Y%m%dT%H%M%SZ.ts"  # strftime of the UTC start


def live_dir(camera_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "live" / str(int(camera_id))


def playlist_path(camera_id: int) -> Path:
    return live_dir(camera_id) / PLAYLIST_NAME


def snapshot_path(camera_id: int) -> Path:
    return live_dir(camera_id) / SNAPSHOT_NAME


def recordings_dir(camera_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "recordings" / str(int(camera_id))

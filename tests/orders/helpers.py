"""Footage on disk for order and hold tests: recording segments, a live window and an exported clip."""

import tempfile
from datetime import datetime

from django.contrib.auth import get_user_model

from cameras.footage.clips import SEGMENT_NAME_FORMAT
from cameras.relay.layout import live_dir, recordings_dir


def use_temporary_media(test) -> None:
    media = tempfile.TemporaryDirectory()
    test.addCleanup(media.cleanup)
    settings = test.settings(MEDIA_ROOT=media.name)
    settings.enable()
    test.addCleanup(settings.disable)


def write_segment(camera, start: datetime, size: int = 1000):
    folder = recordings_dir(camera.pk)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{start.strftime(SEGMENT_NAME_FORMAT)}.ts"
    # Distinct bytes per file, so their hashes differ.
    path.write_bytes(start.isoformat().encode().ljust(size, b"\x47"))
    return path


def write_live_window(camera, segments: int = 2):
    folder = live_dir(camera.pk)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "index.m3u8"]
    paths[0].write_text("#EXTM3U\n" + "".join(f"#EXTINF:1.0,\nseg-{n}.ts\n" for n in range(segments)))
    for number in range(segments):
        path = folder / f"seg-{number}.ts"
        path.write_bytes(bytes([number]) * 188)
        paths.append(path)
    return paths


def make_superuser(username: str = "pat-platform"):
    return get_user_model().objects.create_superuser(username, f"{username}@example.org", "x")

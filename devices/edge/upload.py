"""Uploading a window of the ring buffer to the hub, resumably: each segment that overlaps the window,
from the offset the hub already has, then every file's size and SHA-256 for the hub to check."""

import hashlib
import logging
from datetime import datetime, timedelta
from pathlib import Path

from .hub import Hub, HubError
from .recorder import SEGMENT_SECONDS, segment_start, segments

logger = logging.getLogger("rtcc-edge")

CHUNK_BYTES = 512 * 1024  # under the hub's request body limit


def in_window(folder: Path, start: datetime, end: datetime) -> list[Path]:
    """The finished segments that overlap [start, end): each lasts until the next one starts."""
    files = segments(folder)
    chosen = []
    for index, path in enumerate(files):
        begins = segment_start(path)
        ends = (
            segment_start(files[index + 1])
            if index + 1 < len(files)
            else begins + timedelta(seconds=SEGMENT_SECONDS)
        )
        if begins < end and ends > start:
            chosen.append(path)
    return chosen


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def send_file(hub: Hub, upload_id: int, path: Path) -> None:
    base = f"/api/v1/devices/uploads/{upload_id}/{path.name}"
    offset = int(hub.raw("HEAD", base).get("Upload-Offset", "0"))
    size = path.stat().st_size
    with path.open("rb") as handle:
        while offset < size:
            handle.seek(offset)
            chunk = handle.read(CHUNK_BYTES)
            headers = hub.raw("PUT", base, chunk, {"Upload-Offset": str(offset)}, accept=(204, 409))
            offset = int(headers.get("Upload-Offset", offset + len(chunk)))


def upload_window(hub: Hub, recordings: Path, order: dict, should_stop) -> bool:
    """Send the window of one upload order; False when stopped (paused) or nothing to send."""
    start, end = datetime.fromisoformat(order["start"]), datetime.fromisoformat(order["end"])
    files = in_window(recordings / str(order["camera"]), start, end)
    if not files:
        logger.warning("upload %s: no recording of camera %s covers the window", order["id"], order["camera"])
        return False
    for path in files:
        if should_stop():
            return False
        send_file(hub, order["id"], path)
    listing = [{"name": p.name, "size": p.stat().st_size, "sha256": sha256_of(p)} for p in files]
    try:
        hub.call(f"/api/v1/devices/uploads/{order['id']}/complete/", {"files": listing}, hub.token())
    except HubError as error:
        logger.warning("upload %s was not accepted: %s", order["id"], error)
        return False
    logger.info("upload %s: %s files sent and verified", order["id"], len(files))
    return True

"""Thumbnails of the box's idle cameras: one small JPEG from the camera, made by ffmpeg, for the hub.

The hub lists in its orders the cameras it wants a thumbnail of (`thumbnails`: the box's idle
cameras, which may be seen but nobody watches). `Thumbnails` sends one for a camera as soon as it
appears in that list, then at most once a minute while it stays; none for any other camera, and
none while the owner's switch is off. A picture too big for the hub's limit is made again smaller.
"""

import base64
import logging
import subprocess
import threading
import time

from .push import find_ffmpeg, input_arguments

logger = logging.getLogger("rtcc-edge")

EVERY_S = 60.0
MAX_BYTES = 16_384  # the hub's limit (cameras/media/thumbnails.py)
TIMEOUT_S = 15.0
# (width, JPEG quality scale: 2 best to 31 worst), tried in turn until the picture fits.
SIZES = ((320, 8), (240, 14), (160, 24))


def make_thumbnail(source: str, ffmpeg: str | None = None) -> bytes | None:
    """One frame of `source` as a JPEG of at most MAX_BYTES, or None when the camera gave none."""
    for width, quality in SIZES:
        argv = [
            ffmpeg or find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error",
            *input_arguments(source), "-an", "-frames:v", "1",
            "-vf", f"scale={width}:-2", "-q:v", str(quality), "-f", "image2", "-c:v", "mjpeg", "pipe:1",
        ]  # fmt: skip
        try:
            made = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, check=False)  # noqa: S603
        except (OSError, subprocess.TimeoutExpired) as error:
            logger.warning("no thumbnail from %s: %s", source.split("@")[-1][:80], error)
            return None
        if made.returncode != 0 or not made.stdout:
            logger.warning(
                "no thumbnail: ffmpeg said %s", made.stderr.decode(errors="replace")[-200:].strip()
            )
            return None
        if len(made.stdout) <= MAX_BYTES:
            return made.stdout
    return None


class Thumbnails:
    """Which thumbnails are due, made one camera at a time in a thread of their own."""

    def __init__(self):
        self.wanted: set[int] = set()
        self.sent_at: dict[int, float] = {}
        self.worker: threading.Thread | None = None
        self.sent = 0  # how many went to the hub, for `rtcc-edge status`

    def asked(self, camera_ids) -> None:
        """The hub's latest list; a camera that left it is due at once when it comes back."""
        self.wanted = set(camera_ids)
        self.sent_at = {c: t for c, t in self.sent_at.items() if c in self.wanted}

    def due(self, now: float) -> list[int]:
        return sorted(c for c in self.wanted if now - self.sent_at.get(c, -EVERY_S) >= EVERY_S)

    def send_due(self, sources: dict[int, str], send, paused=lambda: False) -> None:
        """Make and `send` the due thumbnails of the cameras in `sources` (the box's own).

        `paused()` is asked before each picture is taken and before it is sent: the owner's
        switch turned off while the worker runs stops it there, not at the hub's next orders.
        """
        if self.worker is not None and self.worker.is_alive():
            return
        due = [c for c in self.due(time.monotonic()) if c in sources]
        if not due:
            return
        for camera_id in due:
            self.sent_at[camera_id] = time.monotonic()  # once a minute, even when this one fails

        def work():
            for camera_id in due:
                if paused():
                    return
                picture = make_thumbnail(sources[camera_id])
                if picture is not None and camera_id in self.wanted and not paused():
                    send(
                        {"type": "thumbnail", "camera": camera_id, "jpeg": base64.b64encode(picture).decode()}
                    )
                    self.sent += 1

        self.worker = threading.Thread(target=work, name="thumbnails", daemon=True)
        self.worker.start()

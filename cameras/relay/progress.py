"""Read ffmpeg's `-progress` output: blocks of key=value lines, each ended by `progress=...`."""

import re
from dataclasses import dataclass, replace
from datetime import datetime

from django.utils import timezone

NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


@dataclass
class Progress:
    frames: int = 0
    fps: float = 0.0
    bitrate_kbps: float = 0.0
    speed: float = 0.0
    # The wall-clock moment (aware, UTC) the frame counter last went up.
    last_frame_at: datetime | None = None


def number(text: str) -> float | None:
    """The leading number of a value such as '17.08', '571.7kbits/s' or '1.13x'; None for 'N/A'."""
    match = NUMBER.match(text.strip())
    return float(match[0]) if match else None


class ProgressParser:
    """Feed it lines; it returns a fresh Progress each time a block ends."""

    def __init__(self):
        self.current = Progress()
        self.block: dict[str, str] = {}

    def feed(self, line: str, now: datetime | None = None) -> Progress | None:
        key, sep, value = line.strip().partition("=")
        if not sep:
            return None
        if key != "progress":
            self.block[key] = value
            return None
        block, self.block = self.block, {}
        previous = self.current
        frames = number(block.get("frame", ""))
        frames = int(frames) if frames is not None else previous.frames
        last_frame_at = previous.last_frame_at
        # The closing block counts frames flushed on the way out; they say nothing of a live source.
        if frames > previous.frames and value != "end":
            last_frame_at = now or timezone.now()
        self.current = replace(
            previous,
            frames=frames,
            fps=value_or(block.get("fps"), 0.0),
            bitrate_kbps=value_or(block.get("bitrate"), previous.bitrate_kbps),
            speed=value_or(block.get("speed"), 0.0),
            last_frame_at=last_frame_at,
        )
        return self.current


def value_or(text: str | None, default: float) -> float:
    found = number(text) if text is not None else None
    return default if found is None else found

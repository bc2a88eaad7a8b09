"""The one door a pull relay's ffmpeg goes through to reach its camera.

ffmpeg follows what a source tells it: an HTTP redirect, an HLS playlist line, an RTSP
redirect (all tried: each reached another port on loopback). So ffmpeg never talks to a
camera itself. Each pull relay gets a gate on 127.0.0.1 that connects only to the address
`cameras.sources.pin_pull_url` checked, refuses what would lead elsewhere, and reports why:
`http_gate` for HTTP(S) and HLS, `rtsp_gate` for RTSP(S). ffmpeg's protocol whitelist
lets it open nothing but the gate's own protocol.
"""

import logging
import threading
from urllib.parse import urlsplit

from cameras.sources import PullTarget

logger = logging.getLogger(__name__)

GATE_HOST = "127.0.0.1"
UPSTREAM_TIMEOUT_S = 5.0


class Gate:
    """A loopback listener that forwards to one pinned camera address; subclasses speak the protocol."""

    local_scheme = ""

    def __init__(self, target: PullTarget):
        self.target = target
        self.refusal = ""  # what the gate refused, for the relay's status
        self.upstream_error = ""  # why the camera could not be reached
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        raise NotImplementedError

    @property
    def url(self) -> str:
        """What ffmpeg opens: the camera's URL with the gate in place of its host and port."""
        parts = urlsplit(self.target.url)
        userinfo = parts.netloc.rpartition("@")[0]
        authority = f"{userinfo}@" if userinfo else ""
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.local_scheme}://{authority}{GATE_HOST}:{self.port}{parts.path or '/'}{query}"

    @property
    def reason(self) -> str:
        with self.lock:
            return self.refusal or self.upstream_error

    def refuse(self, reason: str) -> None:
        with self.lock:
            if not self.refusal:
                self.refusal = reason
        logger.warning("pull gate for %s: %s", self.target.host, reason)

    def upstream_failed(self, reason: str) -> None:
        with self.lock:
            self.upstream_error = reason

    def close(self) -> None:
        raise NotImplementedError

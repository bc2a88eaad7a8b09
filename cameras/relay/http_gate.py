"""The pull gate for HTTP(S) cameras: MJPEG, MPEG-TS and HLS, fetched by the node itself.

ffmpeg asks the gate (plain HTTP on 127.0.0.1) for a path; the gate fetches that path from
the pinned camera address with urllib3 (the camera's own Host header and, for HTTPS, its
name for SNI and certificate checks), and streams the answer back. Redirects are followed
only within the camera's scheme, host and port; playlists are rewritten so that every URL
in them is a path on the gate (`cameras.relay.playlists`). Whatever ffmpeg is told, it can
only ever ask the gate again.
"""

import http.server
import threading
from urllib.parse import urljoin, urlsplit

import urllib3

from cameras.relay.gate import GATE_HOST, UPSTREAM_TIMEOUT_S, Gate
from cameras.relay.playlists import MAX_PLAYLIST_BYTES, looks_like_playlist, rewrite_playlist
from cameras.sources import PullTarget, redact_url
from rtcc.netpolicy import Refused

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
SNIFF_BYTES = 16
REDIRECTS = {301, 302, 303, 307, 308}
# What ffmpeg may tell the camera, and what the camera may tell ffmpeg; nothing else passes.
# No ranges: a live source is read from its start, and a playlist is rewritten whole.
REQUEST_HEADERS = ("Authorization", "User-Agent", "Accept")
RESPONSE_HEADERS = ("Content-Type", "WWW-Authenticate", "Cache-Control")


def origin_pool(target: PullTarget) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=UPSTREAM_TIMEOUT_S, read=UPSTREAM_TIMEOUT_S)
    address = str(target.pinned.address)
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=4,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=4)


class HttpGate(Gate):
    local_scheme = "http"

    def __init__(self, target: PullTarget):
        super().__init__(target)
        self.pool = origin_pool(target)
        self.server = http.server.ThreadingHTTPServer((GATE_HOST, 0), GateHandler)
        self.server.daemon_threads = True
        self.server.gate = self
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"http-gate-{self.port}",
            daemon=True,
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.pool.close()

    def fetch(self, path: str, headers: dict[str, str]) -> tuple[urllib3.BaseHTTPResponse, str]:
        """GET `path` from the camera, following redirects that stay on its origin; (response, final URL)."""
        headers = {**headers, "Host": self.target.host_header}
        url = urljoin(self.target.url, path)
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            request_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            response = self.pool.urlopen(
                "GET",
                request_path,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            if response.status not in REDIRECTS:
                return response, url
            location = urljoin(url, response.headers.get("Location", ""))
            close(response)
            if not self.target.same_origin(location):
                raise Refused(
                    f"The camera redirected to {redact_url(location)}; the hub follows redirects only "
                    f"within {self.target.scheme}://{self.target.host_header}."
                )
            url = location
        raise Refused(f"The camera redirected more than {MAX_REDIRECTS} times.")


class GateHandler(http.server.BaseHTTPRequestHandler):
    server_version = "OpenRTCC-pull-gate"

    def log_message(self, format, *args):
        pass  # ffmpeg's side of the conversation is in its own log

    def do_GET(self):
        gate: HttpGate = self.server.gate
        headers = {name: self.headers[name] for name in REQUEST_HEADERS if self.headers[name]}
        try:
            response, url = gate.fetch(self.path, headers)
        except Refused as error:
            gate.refuse(str(error))
            self.send_error(502, "Refused by the hub's pull policy")
            return
        except urllib3.exceptions.HTTPError as error:
            gate.upstream_failed(upstream_reason(error))
            self.send_error(504, "The camera could not be reached")
            return
        try:
            self.relay(gate, response, url)
        except Refused as error:
            gate.refuse(str(error))
            self.send_error(502, "Refused by the hub's pull policy")
        except (urllib3.exceptions.HTTPError, OSError):
            pass  # the camera or ffmpeg went away mid-answer; ffmpeg sees the end of the stream
        finally:
            close(response)

    def relay(self, gate: HttpGate, response, url: str) -> None:
        head = b""
        while len(head) < SNIFF_BYTES:
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            head += chunk
        if looks_like_playlist(url, response.headers.get("Content-Type", ""), head):
            body = head + response.read(MAX_PLAYLIST_BYTES + 1 - len(head))
            if len(body) > MAX_PLAYLIST_BYTES:
                raise Refused(f"The camera's playlist is larger than {MAX_PLAYLIST_BYTES} bytes.")
            text = rewrite_playlist(body.decode("utf-8", "replace"), gate.target, url)
            self.answer(response, text.encode(), "application/vnd.apple.mpegurl")
            return
        self.send_response(response.status)
        self.copy_headers(response)
        if response.headers.get("Content-Length"):
            self.send_header("Content-Length", response.headers["Content-Length"])
        self.end_headers()
        self.wfile.write(head)
        while chunk := response.read1(CHUNK):
            self.wfile.write(chunk)

    def answer(self, response, body: bytes, content_type: str) -> None:
        self.send_response(response.status)
        self.copy_headers(response, skip={"Content-Type"})
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def copy_headers(self, response, skip=frozenset()) -> None:
        for name in RESPONSE_HEADERS:
            if name not in skip and response.headers.get(name):
                self.send_header(name, response.headers[name])


def close(response) -> None:
    # Closed, not returned to the pool half read: an endless MJPEG answer cannot be drained.
    response.close()
    response.release_conn()


def upstream_reason(error: Exception) -> str:
    text = str(error)
    if isinstance(error, urllib3.exceptions.TimeoutError) or "timed out" in text:
        return "the source did not answer in time"
    if isinstance(error, urllib3.exceptions.SSLError):
        return "the camera's TLS certificate could not be verified for its host name"
    if "refused" in text.lower():
        return "the camera refused the connection"
    return "the camera could not be reached"

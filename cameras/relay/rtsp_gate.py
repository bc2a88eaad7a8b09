"""The pull gate for RTSP(S) cameras: one pinned TCP connection, and no redirect.

ffmpeg speaks plain RTSP to the gate on 127.0.0.1, with RTP interleaved on the same
connection (`rtsp_transport tcp`), so that connection is the only one it ever makes. The
gate opens one to the pinned camera address (TLS for rtsps, checked against the camera's
host name) and copies both ways. ffmpeg follows an RTSP 3xx to any host it names, so the
gate reads the camera's side: a redirect ends the connection and is reported instead of
reaching ffmpeg. Requests pass unchanged (digest authentication covers their URI).
"""

import logging
import selectors
import socket
import ssl
import threading

from cameras.relay.gate import GATE_HOST, UPSTREAM_TIMEOUT_S, Gate
from cameras.sources import PullTarget
from rtcc.netpolicy import Refused

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024
INTERLEAVED = 0x24  # "$": channel byte, 16-bit length, then that many bytes of RTP/RTCP


class ResponseGuard:
    """Reads what the camera sends (RTSP messages and interleaved frames) and refuses redirects."""

    def __init__(self):
        self.pending = bytearray()
        self.passing = 0  # bytes of the current frame or message body still to pass unread

    def feed(self, data: bytes) -> bytes:
        """The bytes that may go on to ffmpeg now; raises Refused at a redirect."""
        self.pending += data
        out = bytearray()
        while self.pending:
            if self.passing:
                taken = min(self.passing, len(self.pending))
                out += self.pending[:taken]
                del self.pending[:taken]
                self.passing -= taken
                continue
            if self.pending[0] == INTERLEAVED:
                if len(self.pending) < 4:
                    break
                self.passing = 4 + int.from_bytes(self.pending[2:4], "big")
                continue
            end = self.pending.find(b"\r\n\r\n")
            if end < 0:
                if len(self.pending) > MAX_HEAD_BYTES:
                    raise Refused("The camera sent an RTSP header larger than 64 KB.")
                break
            head = bytes(self.pending[: end + 4])
            check_head(head)
            self.passing = len(head) + content_length(head)
        return bytes(out)


def check_head(head: bytes) -> None:
    first = head.split(b"\r\n", 1)[0].decode("latin-1")
    words = first.split(" ", 2)
    if words[0].startswith("RTSP/") and len(words) > 1 and words[1].startswith("3"):
        location = next(
            (
                line.split(":", 1)[1].strip()
                for line in head.decode("latin-1").split("\r\n")
                if line.lower().startswith("location:")
            ),
            "(no location)",
        )
        raise Refused(
            f"The camera answered RTSP {words[1]}, redirecting to {location.split('@')[-1]}; "
            "the hub follows no RTSP redirect."
        )


def content_length(head: bytes) -> int:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            try:
                return max(0, int(value.strip()))
            except ValueError:
                raise Refused("The camera sent an unreadable Content-Length.") from None
    return 0


class RtspGate(Gate):
    local_scheme = "rtsp"

    def __init__(self, target: PullTarget):
        super().__init__(target)
        self.listener = socket.create_server((GATE_HOST, 0))
        self.sockets: list[socket.socket] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self.accept, name=f"rtsp-gate-{self.port}", daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self.serve, args=(client,), daemon=True).start()

    def connect_upstream(self) -> socket.socket:
        address = (str(self.target.pinned.address), self.target.port)
        upstream = socket.create_connection(address, timeout=UPSTREAM_TIMEOUT_S)
        if self.target.scheme == "rtsps":
            context = ssl.create_default_context()
            upstream = context.wrap_socket(upstream, server_hostname=self.target.host)
        upstream.settimeout(None)
        return upstream

    def serve(self, client: socket.socket) -> None:
        try:
            upstream = self.connect_upstream()
        except ssl.SSLError:
            self.upstream_failed("the camera's TLS certificate could not be verified for its host name")
            client.close()
            return
        except TimeoutError:
            self.upstream_failed("the source did not answer in time")
            client.close()
            return
        except OSError as error:
            refused = isinstance(error, ConnectionRefusedError)
            self.upstream_failed(
                "the camera refused the connection" if refused else "the camera could not be reached"
            )
            client.close()
            return
        with self.lock:
            self.sockets += [client, upstream]
        if self.closed.is_set():
            self.hang_up(client, upstream)
            return
        try:
            self.pump(client, upstream)
        except Refused as error:
            self.refuse(str(error))
        except OSError:
            pass  # either side went away; ffmpeg sees the end of the stream
        self.hang_up(client, upstream)

    def pump(self, client: socket.socket, upstream: socket.socket) -> None:
        # One thread per connection and one side at a time: an SSL socket must not be read
        # and written from two threads at once.
        guard = ResponseGuard()
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(upstream, selectors.EVENT_READ)
            while not self.closed.is_set():
                buffered = isinstance(upstream, ssl.SSLSocket) and upstream.pending()
                ready = [upstream] if buffered else [key.fileobj for key, _ in selector.select(1.0)]
                for side in ready:
                    data = side.recv(CHUNK)
                    if not data:
                        return
                    if side is client:
                        upstream.sendall(data)
                    else:
                        client.sendall(guard.feed(data))

    def hang_up(self, *sockets: socket.socket) -> None:
        for each in sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            each.close()

    def close(self) -> None:
        self.closed.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        self.hang_up(*sockets)

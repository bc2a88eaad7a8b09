"""A real HTTP server on loopback for pull tests: files, canned answers, and a log of requests."""

import http.server
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path


@dataclass
class Canned:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class WebServer:
    """Serves `root` (if given) and `answers` (path -> Canned) on host:port; records every request."""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self.root = root
        self.answers: dict[str, Canned] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        handler = partial(Handler, self, directory=str(root) if root else "/nonexistent")
        self.server = http.server.ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://{self.server.server_address[0]}:{self.port}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, web: WebServer, *args, **kwargs):
        self.web = web
        super().__init__(*args, **kwargs)

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.web.requests.append((self.path, dict(self.headers)))
        canned = self.web.answers.get(self.path)
        if canned is None:
            return super().do_GET()
        self.send_response(canned.status)
        for name, value in canned.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(canned.body)))
        self.end_headers()
        self.wfile.write(canned.body)

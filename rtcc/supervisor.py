"""Run several child processes as one: start them, watch them, stop them all together.

Each child gets its own process group, so stopping one stops everything it started
(ffmpeg under a relay node, say) and a Ctrl-C in the terminal reaches only us; we then
stop the children in reverse order of start.
"""

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdin=subprocess.DEVNULL, start_new_session=True
        )

    @property
    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal_group(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


class Supervisor:
    def __init__(self, children: list[Child]):
        self.children = children
        self.stopping = False

    def request_stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self, on_started=None) -> int:
        """Start every child, wait until a signal or until one of them exits, then stop all."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        failed = None
        try:
            for child in self.children:
                child.start()
            if on_started:
                on_started()
            while not self.stopping:
                failed = next((c for c in self.children if c.exited is not None), None)
                if failed:
                    logger.error("%s exited with code %s; stopping the demo", failed.name, failed.exited)
                    break
                time.sleep(0.5)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if failed else 0

    def stop_all(self, timeout: float = 10.0) -> None:
        for child in reversed(self.children):
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop within %.0f s; killing it", child.name, timeout)
            # The group may hold grandchildren (ffmpeg) even after the leader is gone.
            try:
                os.killpg(child.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            child.process.wait()

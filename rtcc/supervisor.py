"""Run several child processes as one: start them, restart the ones that crash, stop them together.

Each child gets its own process group, so stopping one stops everything it started
(ffmpeg under a relay node, say) and a Ctrl-C in the terminal reaches only us; we then
stop the children in reverse order of start. A child that exits is started again after a
backoff (1 s, doubling to 30 s, back to 1 s once it has run a minute), as systemd's
`Restart=on-failure` does in production; a child that keeps dying within seconds of every
start (a port taken, say) stops the whole demo instead of looping for ever.
"""

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
# A child that ran this long was healthy: its next crash starts the backoff afresh.
HEALTHY_AFTER_SECONDS = 60.0
# A child that dies this soon after this many starts in a row will not come up by itself.
EARLY_EXIT_SECONDS = 10.0
EARLY_EXITS_TO_GIVE_UP = 5


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    # Set for a child started before the supervisor (the embedded Redis): watched and restarted,
    # not started again.
    process: subprocess.Popen | None = field(default=None, repr=False)
    restarts: int = 0
    early_exits: int = 0
    started_at: float = field(default_factory=time.monotonic, repr=False)
    restart_at: float | None = field(default=None, repr=False)

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdin=subprocess.DEVNULL, start_new_session=True
        )

    def schedule_restart(self, now: float) -> float:
        """Note the exit; return the delay before the next start."""
        ran = now - self.started_at
        self.early_exits = self.early_exits + 1 if ran < EARLY_EXIT_SECONDS else 0
        if ran >= HEALTHY_AFTER_SECONDS:
            self.restarts = 0
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**self.restarts)
        self.restarts += 1
        self.restart_at = now + delay
        return delay

    @property
    def gave_up(self) -> bool:
        return self.early_exits >= EARLY_EXITS_TO_GIVE_UP

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
        """Start every child and keep them running until a signal, or until one cannot start."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        failed = None
        try:
            for child in self.children:
                child.start()
            if on_started:
                on_started()
            while not self.stopping and failed is None:
                failed = self.tend(time.monotonic())
                time.sleep(0.5)
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 1 if failed else 0

    def tend(self, now: float) -> Child | None:
        """Restart the children that exited, after their backoff; return one that will not come up."""
        for child in self.children:
            if child.restart_at is None and child.exited is not None:
                code = child.exited
                delay = child.schedule_restart(now)
                if child.gave_up:
                    logger.error(
                        "%s exited with code %s within seconds of each of its last %d starts; stopping the demo",
                        child.name,
                        code,
                        child.early_exits,
                    )
                    return child
                logger.warning("%s exited with code %s; restarting it in %.0f s", child.name, code, delay)
            elif child.restart_at is not None and now >= child.restart_at and not self.stopping:
                child.restart_at = None
                child.start()
                logger.warning(
                    "%s restarted (pid %s, restart %d)", child.name, child.process.pid, child.restarts
                )
        return None

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

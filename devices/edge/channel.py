"""The box's end of the control channel: one outbound WebSocket to the hub's `/ws/device/`.

Outbound, so it passes any home router's NAT; WebSocket pings every 20 s keep the router's
mapping open. It reconnects with capped exponential backoff and jitter. While it is down the
agent falls back to HTTP heartbeats, whose answers carry the same orders.
"""

import json
import logging
import random
import threading
import time

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import connect

from .hub import HubError

logger = logging.getLogger("rtcc-edge")

BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 60.0


def backoff_seconds(failures: int, rng=random) -> float:
    """Between half and all of min(max, first * 2^(n-1)): a hub back after an outage is not stampeded."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(failures - 1, 0))
    return rng.uniform(ceiling / 2, ceiling)


class ControlChannel(threading.Thread):
    """Keeps the socket open; hands the hub's messages to `agent.on_message`, sends its heartbeats."""

    def __init__(self, agent, stop: threading.Event):
        super().__init__(name="control-channel", daemon=True)
        self.agent, self.stop = agent, stop
        self.connected = threading.Event()
        self.outbox: list[dict] = []
        self.lock = threading.Lock()
        self.failures = 0

    def send(self, message: dict) -> None:
        """Queue a message for the hub; sent at once while connected, dropped while not (state is resent)."""
        if self.connected.is_set():
            with self.lock:
                self.outbox.append(message)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.session()
                self.failures = 0
            except InvalidStatus as error:
                # The hub refused the handshake: the token is unknown or revoked. The HTTP heartbeat
                # says which, and enrolls again when it may.
                logger.warning("the hub refused the control channel (HTTP %s)", error.response.status_code)
                self.agent.token_refused()
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError, HubError) as error:
                logger.warning("control channel lost: %s", error or type(error).__name__)
            except Exception:  # a bug must not end the channel for good: log it and connect again
                logger.exception("control channel failed")
            finally:
                self.connected.clear()
            self.failures += 1
            self.stop.wait(backoff_seconds(self.failures))

    def session(self) -> None:
        token = self.agent.hub.token()
        headers = {"Authorization": f"Device {token}"}
        with connect(self.agent.hub.socket_url, additional_headers=headers, open_timeout=10) as socket:
            logger.info("control channel open")
            with self.lock:
                self.outbox = self.agent.greeting()
            self.connected.set()
            self.failures = 0
            next_beat = time.monotonic() + self.agent.interval
            while not self.stop.is_set():
                with self.lock:
                    outgoing, self.outbox = self.outbox, []
                for message in outgoing:
                    socket.send(json.dumps(message))
                if time.monotonic() >= next_beat:
                    socket.send(json.dumps(self.agent.heartbeat_message()))
                    next_beat = time.monotonic() + self.agent.interval
                try:
                    text = socket.recv(timeout=0.25)
                except TimeoutError:
                    continue
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if not isinstance(message, dict):
                    continue
                try:
                    self.agent.on_message(message)
                except (AttributeError, KeyError, TypeError, ValueError):
                    logger.warning("ignored a malformed message of type %r", str(message.get("type"))[:40])
            socket.close()

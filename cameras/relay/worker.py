"""A relay node inside a Celery worker: started with `celery -A rtcc worker --relay`.

The node runs in a thread of the worker's main process, started by a bootstep after the
pool, never as a task in the pool: the pool recycles and redelivers tasks, and a relay owns
ffmpeg processes for hours (docs/relay-fleet.md). The worker's name is the node's name.
Celery's remote control reaches it:

    celery -A rtcc inspect relays                          # per node: cameras, status, capacity
    celery -A rtcc control relay_drain -d relay1@host      # hand every camera to the others

A drained node runs nothing and takes nothing until the worker restarts.
"""

import logging
import threading

from celery import bootsteps
from celery.worker.control import control_command, inspect_command

from cameras.relay.node import RelayNodeRunner
from cameras.relay.ports import PortRangeRefused

logger = logging.getLogger(__name__)

# The node of this worker process, when it was started with --relay.
current: RelayNodeRunner | None = None


class RelayNodeStep(bootsteps.StartStopStep):
    """Runs the relay supervisor in the worker's main process while the worker runs."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, parent, relay: bool = False, **options):
        super().__init__(parent, **options)
        self.enabled = bool(relay)
        self.runner: RelayNodeRunner | None = None
        self.thread: threading.Thread | None = None

    def start(self, parent):
        global current
        self.runner = current = RelayNodeRunner(parent.hostname)
        try:
            self.runner.check_ports()
        except PortRangeRefused as error:
            # Refused before the worker serves anything: a node on such a range would leave
            # cameras at "starting" for ever (a port the kernel gave to some outgoing connection).
            logger.critical("relay node %s refuses to start: %s", parent.hostname, error)
            raise
        self.thread = threading.Thread(target=self.run, name="relay-node", daemon=True)
        self.thread.start()

    def run(self):
        # A node that cannot start (the database not there yet) tries again: the worker is up,
        # and its relays must come as soon as they can.
        while not self.runner.stopping.is_set():
            try:
                self.runner.run()
            except Exception:
                logger.exception(
                    "relay node %s stopped on an error; starting it again in 5 s", self.runner.name
                )
                self.runner.stopping.wait(5)

    def stop(self, parent):
        if self.runner is not None:
            self.runner.stop()
        if self.thread is not None:
            self.thread.join(30)

    shutdown = stop


@inspect_command()
def relays(state):
    """This worker's relays: camera, status, restarts, bitrate; its capacity and load."""
    if current is None:
        return {"relay_node": False}
    return {"relay_node": True, **current.describe()}


@control_command()
def relay_drain(state):
    """Stop every relay of this node and take no more, so that the other nodes take them over."""
    if current is None:
        return {"error": "this worker runs no relay node (start it with --relay)"}
    count = current.drain()
    return {"ok": f"draining {count} relays to the other nodes"}

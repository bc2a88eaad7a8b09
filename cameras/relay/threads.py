"""The relay node's threads, named for the kernel too (`progress-41` in `top -H` and in
/proc/<pid>/task/*/comm): the node's CPU can then be told apart by what spends it
(`python -m bench relays` does)."""

import ctypes
import threading

PR_SET_NAME = 15


def name_native_thread(name: str) -> None:
    """Name the calling OS thread (the kernel keeps 15 bytes); nothing where that fails."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass


class RelayThread(threading.Thread):
    """A daemon thread of one relay: `relay-41-progress` in Python, `progress-41` for the kernel."""

    def __init__(self, camera_id: int, kind: str, target, args=()):
        super().__init__(target=target, args=args, name=f"relay-{camera_id}-{kind}", daemon=True)
        self.native_name = f"{kind}-{camera_id}"

    def run(self):
        name_native_thread(self.native_name)
        super().run()

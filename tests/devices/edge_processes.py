"""The edge agent as a box runs it: `python -m rtcc_edge.cli`, from outside the hub's source tree.

The agent's folder is linked into a temporary folder as the package `rtcc_edge`, so the process
imports the agent's modules only as its own distribution does, never the hub's apps.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

EDGE_SOURCE = Path(settings.BASE_DIR) / "devices" / "edge"


class EdgeBox:
    """A temporary box: the agent's package, its state folder, and its processes."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.state_dir = folder / "state"
        (folder / "lib").mkdir(parents=True, exist_ok=True)
        link = folder / "lib" / "rtcc_edge"
        if not link.exists():
            link.symlink_to(EDGE_SOURCE, target_is_directory=True)
        self.processes: list[subprocess.Popen] = []

    def env(self) -> dict:
        # Only the agent's own folder on the path: no hub code can be imported by accident.
        return {**os.environ, "PYTHONPATH": str(self.folder / "lib"), "PYTHONSAFEPATH": "1"}

    def command(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "rtcc_edge.cli", *args, "--state-dir", str(self.state_dir)]
        return subprocess.run(  # noqa: S603
            argv,
            cwd=self.folder,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, *args: str, log_name: str = "rtcc-edge.log") -> subprocess.Popen:
        argv = [sys.executable, "-m", "rtcc_edge.cli", "run", *args, "--state-dir", str(self.state_dir)]
        log = open(self.folder / log_name, "ab")  # noqa: SIM115 -- closed with the process
        process = subprocess.Popen(  # noqa: S603
            argv,
            cwd=self.folder,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def status(self) -> dict:
        try:
            return json.loads((self.state_dir / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def log(self) -> str:
        path = self.folder / "rtcc-edge.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM each agent (it stops its pushes), then make sure nothing of it is left."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    pass
            try:
                os.killpg(process.pid, 9)
            except ProcessLookupError:
                pass
            process.wait(5)


def pushes_of(box_pid: int) -> list[str]:
    """Command lines of the push ffmpeg processes the agent started (they run in their own sessions)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == box_pid and any(arg.startswith(b"srt://") for arg in argv):
            found.append(b" ".join(argv).decode(errors="replace"))
    return found

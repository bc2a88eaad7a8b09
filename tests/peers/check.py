"""The system programs some tests talk to, the Debian packages that provide them, and whether they are here.

    python3 tests/peers/check.py

`make test` and `.ci/run` run it before pytest: as root it installs the packages of every
missing peer (apt-get update first); otherwise it names what is missing and the command
that installs it. tests/conftest.py asks `skip_reason` for each test marked with a peer's
marker, lists the tests that will skip before the run, and with CI=true fails them.
Standard library only, so that it runs before the virtualenv exists.
"""

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Every skip for a missing peer starts with this; with CI=true tests/conftest.py fails them.
MISSING_PEER = "missing peer: "
SYSTEM_PYTHON = "/usr/bin/python3"
GST_IMPORT = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import GstRtspServer"
)


def chromium_path() -> Path:
    """Debian's Chromium, or the binary RTCC_CHROMIUM names."""
    return Path(os.environ.get("RTCC_CHROMIUM") or "/usr/bin/chromium")


def chromium_missing() -> str:
    path = chromium_path()
    return "" if os.access(path, os.X_OK) else f"no Chromium at {path}"


def gstreamer_missing() -> str:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"no {SYSTEM_PYTHON} to run GStreamer's Python bindings"
    result = subprocess.run(
        [SYSTEM_PYTHON, "-c", GST_IMPORT], capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        return f"{SYSTEM_PYTHON} cannot import GstRtspServer ({last})"
    return ""


def nginx_missing() -> str:
    return "" if shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK) else "no nginx on PATH"


@dataclass(frozen=True)
class Peer:
    name: str
    marker: str  # the pytest marker of the tests that need it
    packages: tuple[str, ...]
    missing: Callable[[], str]  # why it cannot be used here; empty when it can


PEERS = (
    Peer("Chromium", "browser", ("chromium", "chromium-driver"), chromium_missing),
    Peer(
        "GStreamer's RTSP server",
        "rtsp",
        (
            "python3-gi",
            "gir1.2-gst-rtsp-server-1.0",
            "gstreamer1.0-plugins-base",
            "gstreamer1.0-plugins-good",
            "gstreamer1.0-plugins-ugly",
        ),
        gstreamer_missing,
    ),
    Peer("nginx", "nginx", ("nginx",), nginx_missing),
)


@functools.cache
def missing_reasons() -> dict[str, str]:
    """{marker: why its peer is missing} for each peer that is."""
    return {peer.marker: reason for peer in PEERS if (reason := peer.missing())}


def install_command(peers) -> str:
    packages = " ".join(package for peer in peers for package in peer.packages)
    return f"sudo apt-get update && sudo apt-get install -y {packages}"


def skip_reason(marker: str) -> str:
    """Why a test marked `marker` must skip here (starting with MISSING_PEER); empty when it can run."""
    reason = missing_reasons().get(marker)
    if not reason:
        return ""
    peer = next(peer for peer in PEERS if peer.marker == marker)
    return f"{MISSING_PEER}{peer.name}: {reason} (install: {install_command([peer])})"


def not_installed(packages) -> list[str]:
    if shutil.which("dpkg") is None:
        return list(packages)
    return [
        package
        for package in packages
        if subprocess.run(["dpkg", "-s", package], capture_output=True, check=False).returncode
    ]


def install(packages: list[str]) -> bool:
    """apt-get update, then install `packages`; False (having said why) when either fails."""
    print(f"==> installing the test peers' packages: {' '.join(packages)}", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command, timeout in [
        (["apt-get", "update", "-qq"], 600),
        (["apt-get", "install", "-y", "-qq", *packages], 900),
    ]:
        try:
            result = subprocess.run(command, env=environment, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            print(f"{' '.join(command[:2])} took over {timeout} s", flush=True)
            return False
        if result.returncode:
            print(f"{' '.join(command[:2])} failed (exit {result.returncode})", flush=True)
            return False
    return True


def main() -> int:
    missing = [peer for peer in PEERS if peer.marker in missing_reasons()]
    if not missing:
        return 0
    packages = not_installed(package for peer in missing for package in peer.packages)
    if packages and os.geteuid() == 0 and shutil.which("apt-get") and install(packages):
        missing_reasons.cache_clear()
        missing = [peer for peer in PEERS if peer.marker in missing_reasons()]
    for peer in missing:
        print(f"==> missing peer {peer.name}: {missing_reasons()[peer.marker]}")
        print(f"    the tests marked `{peer.marker}` will skip (with CI=true they fail); pytest lists them")
    if missing:
        print(f"    install: {install_command(missing)}", flush=True)
    # Never fatal here: pytest decides, skipping the tests (or failing them on CI) with the reason.
    return 0


if __name__ == "__main__":
    sys.exit(main())

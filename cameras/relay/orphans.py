"""Make every ffmpeg relay die with its relay node, even when the node is killed with SIGKILL.

An orphaned relay would keep writing the camera's files and hold its SRT port while
another node takes the camera over: two relays for one camera. The kernel's parent-death
signal prevents it. ffmpeg is started through a tiny launcher that asks for SIGKILL on
the parent's death (`prctl(PR_SET_PDEATHSIG)`) and then replaces itself with ffmpeg;
the request survives exec. The launcher is written once per binary under VAR_DIR.
"""

import hashlib
import os
import sys
from pathlib import Path

from django.conf import settings

LAUNCHER = """#!{python} -I
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
parent = os.getppid()
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
if os.getppid() != parent:  # the node died before the request took effect
    sys.exit(1)
os.execv({ffmpeg!r}, [{ffmpeg!r}, *sys.argv[1:]])
"""


def ffmpeg_dying_with_parent(ffmpeg_path: str) -> str:
    """Path of a launcher that runs `ffmpeg_path` with SIGKILL as its parent-death signal."""
    if not sys.platform.startswith("linux"):
        return ffmpeg_path
    text = LAUNCHER.format(python=sys.executable, ffmpeg=ffmpeg_path)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    folder = Path(settings.VAR_DIR) / "relay-bin"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"ffmpeg-{digest}"
    if not path.exists():
        temporary = folder / f".{path.name}.{os.getpid()}"
        temporary.write_text(text)
        temporary.chmod(0o700)
        os.replace(temporary, path)  # atomic: two nodes writing at once both end with a whole file
    return str(path)

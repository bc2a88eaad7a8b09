"""Hand credentials to ffmpeg without putting them on its command line.

Any local user can read /proc/<pid>/cmdline, so an SRT passphrase or a camera password
in ffmpeg's arguments leaks. ffmpeg's `-/option file` syntax only covers its own
command-line options, not the input URL or protocol options such as `passphrase`, so
the relay describes its source in an ffconcat list (`file` plus `option` lines) and
gives ffmpeg the path of a named pipe that carries that list. The pipe is 0600 in a
0700 directory; the text only ever sits in the pipe's kernel buffer, and the pipe is
unlinked as soon as ffmpeg has read it (or has died, or a deadline passed).
"""

import errno
import os
import re
import secrets
import stat
import threading
import time
from pathlib import Path

from django.conf import settings

HANDOVER_TIMEOUT_S = 30.0
REDACTED = "***"
URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s'\"]*@", re.IGNORECASE)
SECRET_PARAMETER = re.compile(
    r"\b(?P<key>passphrase|password|passwd|pwd|token)(?P<sep>[ \t]*[=:][ \t]*)[^&\s'\"]+",
    re.IGNORECASE,
)


def secrets_dir() -> Path:
    path = Path(settings.VAR_DIR) / "relay-secrets"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode is masked by the umask and ignored for an existing directory.
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        path.chmod(0o700)
    return path


class SecretPipe:
    """A named pipe that gives `text` to the first reader, then disappears."""

    def __init__(self, *, timeout: float = HANDOVER_TIMEOUT_S):
        self.text = ""
        self.timeout = timeout
        self.path = secrets_dir() / f"source-{secrets.token_hex(8)}.ffconcat"
        self.delivered = threading.Event()
        self.closed = threading.Event()
        self.thread: threading.Thread | None = None

    def open(self, text: str) -> Path:
        self.text = text
        os.mkfifo(self.path, 0o600)
        self.thread = threading.Thread(
            target=self.hand_over, name=f"secret-pipe-{self.path.name}", daemon=True
        )
        self.thread.start()
        return self.path

    def hand_over(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            while not self.closed.is_set() and time.monotonic() < deadline:
                try:
                    # Non-blocking, so that a reader that never comes cannot hold this thread.
                    fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError as error:
                    if error.errno != errno.ENXIO:  # ENXIO: nobody reads the pipe yet
                        return
                    time.sleep(0.02)
                    continue
                try:
                    os.set_blocking(fd, True)
                    data = memoryview(self.text.encode())
                    while data:
                        data = data[os.write(fd, data) :]
                except OSError:
                    return  # the reader went away: ffmpeg died while opening it
                finally:
                    os.close(fd)
                self.delivered.set()
                return
        finally:
            self.unlink()

    def close(self) -> None:
        self.closed.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=1.0)
        self.unlink()

    def unlink(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def redact(text: str, known: tuple[str, ...] = ()) -> str:
    """Text with URL passwords, passphrase-like parameters and the given secrets replaced by ***."""
    for secret in sorted({s for s in known if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = URL_USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    return SECRET_PARAMETER.sub(lambda m: f"{m['key']}{m['sep']}{REDACTED}", text)

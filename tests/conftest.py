import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from rtcc.embedded_redis import EmbeddedRedis


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The embedded Redis for the whole run, unless REDIS_URL points at a real one."""
    if settings.REDIS_URL:
        yield None
        return
    server = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
    yield server
    server.stop()


def _own_run_dir() -> Path | None:
    """This run's var/test/run-<pid> folder, if the settings chose it (not an explicit RTCC_VAR_DIR)."""
    run_dir = Path(settings.VAR_DIR)
    if run_dir.name == f"run-{os.getpid()}" and run_dir.parent.name == "test":
        return run_dir
    return None


def pytest_sessionstart(session):
    run_dir = _own_run_dir()
    if run_dir is None:
        return
    for stale in run_dir.parent.glob("run-*"):
        pid = stale.name.removeprefix("run-")
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    run_dir = _own_run_dir()
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)

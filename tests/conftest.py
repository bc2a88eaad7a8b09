import os
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.conf import settings

from rtcc.embedded_redis import EmbeddedRedis
from tests.peers.check import MISSING_PEER, PEERS, install_command, missing_reasons, skip_reason

# On CI every test must run: a skip for a missing peer fails the run instead of passing green.
ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SKIPPED_FOR_PEERS = pytest.StashKey[dict]()


def pytest_configure(config):
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        from tests.fast_flush import install

        install()


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """The embedded Redis for the whole run, unless REDIS_URL points at a real one."""
    if settings.REDIS_URL:
        yield None
        return
    server = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh_media_decisions(redis_server):
    """Stored media decisions never outlive their test.

    Test transactions roll back without committing, so their changes bump no generation,
    and a token signed in the same second with the same ids is the same token in the next test.
    """
    # Imported here: this module is also loaded as a plugin (`-p tests.conftest`) before Django is set up.
    from cameras.media.authorization_cache import bump, everything_scope

    bump(everything_scope())


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


@pytest.hookimpl(trylast=True)  # after `-m` and `-k` deselect, so only tests that would run are listed
def pytest_collection_modifyitems(config, items):
    """Skip each test whose peer is missing here, with the reason and the command that installs it."""
    skipped = defaultdict(list)
    for item in items:
        for peer in PEERS:
            reason = item.get_closest_marker(peer.marker) and skip_reason(peer.marker)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
                skipped[peer].append(item)
                break
    config.stash[SKIPPED_FOR_PEERS] = skipped


def pytest_report_collectionfinish(config, start_path, items):
    """Before the first test: which tests will skip for which missing peer, and how to install it."""
    skipped = config.stash.get(SKIPPED_FOR_PEERS, {})
    if not skipped:
        return []
    lines = []
    for peer, peer_items in skipped.items():
        reason = missing_reasons()[peer.marker]
        lines.append(f"missing peer {peer.name} ({reason}): {len(peer_items)} tests will skip")
        files = Counter(item.nodeid.split("::")[0] for item in peer_items)
        lines.append("  " + ", ".join(f"{path} ({count})" for path, count in files.items()))
    lines.append(f"install: {install_command(skipped)}")
    if ON_CI:
        lines.append("CI is set: these tests fail the run")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if ON_CI and report.skipped and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2].removeprefix("Skipped: ")  # a skip's longrepr: (path, line, message)
        if reason.startswith(MISSING_PEER):
            report.outcome = "failed"
            report.longrepr = f"{reason}\nCI is set: a test skipped for a missing peer fails the run."
    return report

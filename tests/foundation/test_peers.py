"""A test whose peer (Chromium, GStreamer) is missing skips with the way to install it, and fails on CI."""

import os
import subprocess
import sys

from django.conf import settings

from tests.peers.check import MISSING_PEER

NEEDS_CHROMIUM = """
import pytest

@pytest.mark.browser
def test_needs_chromium():
    pass
"""


def run_pytest_without_chromium(tmp_path, **environment) -> subprocess.CompletedProcess:
    """A separate pytest run, with this project's conftest, of one test marked `browser`."""
    test_file = tmp_path / "test_needs_chromium.py"
    test_file.write_text(NEEDS_CHROMIUM)
    child = {
        key: value for key, value in os.environ.items() if key not in {"CI", "RTCC_TEST_RUN", "RTCC_VAR_DIR"}
    }
    # On SQLite and the embedded Redis: the test never reaches a database, and a second run
    # must not touch this run's PostgreSQL test database.
    child.pop("DATABASE_URL", None)
    child.pop("REDIS_URL", None)
    child.update(RTCC_CHROMIUM=str(tmp_path / "no-chromium-here"), **environment)
    base = settings.BASE_DIR
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-c",
            str(base / "pyproject.toml"),
            "--rootdir",
            str(base),
            "-q",
            str(test_file),
        ],  # fmt: skip
        cwd=base,
        env=child,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_missing_peer_is_named_before_the_run_with_its_install_command(tmp_path):
    run = run_pytest_without_chromium(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    header = run.stdout.split("test_needs_chromium.py s")[0]
    assert f"missing peer Chromium (no Chromium at {tmp_path}/no-chromium-here): 1 tests will skip" in header
    assert "install: sudo apt-get update && sudo apt-get install -y chromium chromium-driver" in header
    assert "1 skipped" in run.stdout


def test_on_ci_a_test_skipped_for_a_missing_peer_fails_the_run(tmp_path):
    run = run_pytest_without_chromium(tmp_path, CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{MISSING_PEER}Chromium: no Chromium at {tmp_path}/no-chromium-here" in run.stdout
    assert "1 error" in run.stdout

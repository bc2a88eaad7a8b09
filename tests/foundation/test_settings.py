"""A bad environment value stops start-up with one line that names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rtcc.env import database_from_url

ROOT = Path(__file__).resolve().parents[2]

BAD_VALUES = [
    ("DATABASE_URL", "mysql://db/rtcc", "scheme 'mysql'"),
    ("DATABASE_URL", "postgres://db.example/", "names no database"),
    ("REDIS_URL", "http://cache:6379", "scheme 'http'"),
    ("REDIS_URL", "redis://cache:99999/0", "Port out of range"),
    ("DEBUG", "maybe", "not a boolean"),
    ("RTCC_PORT", "eighty", "not a whole number"),
    ("RTCC_PORT", "70000", "above the maximum"),
    ("LOG_LEVEL", "loud", "not a log level"),
    ("RTCC_MAP_TILE_URL", "ftp://tiles.example/{z}/{x}/{y}.png", "scheme 'ftp'"),
    ("RTCC_MAP_TILE_URL", "https://{z}.tiles.example/{x}/{y}.png", "no plain host name"),
]


@pytest.mark.parametrize(("name", "value", "reason"), BAD_VALUES)
def test_bad_environment_value_is_one_clear_line(name, value, reason, tmp_path):
    env = {**os.environ, name: value, "RTCC_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert name in result.stderr and reason in result.stderr


def test_secret_key_is_generated_once_and_private(tmp_path):
    env = {**os.environ, "RTCC_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    command = [
        sys.executable,
        "-c",
        "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
    ]
    first = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    second = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    key_file = tmp_path / "secret_key"
    assert first == second and len(first.strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_database_url_reaches_django():
    entry = database_from_url(
        "DATABASE_URL", "postgres://rtcc:s%40cret@db.internal:6543/rtcc?sslmode=require"
    )
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert (entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"], entry["NAME"]) == (
        "rtcc",
        "s@cret",
        "db.internal",
        "6543",
        "rtcc",
    )
    assert entry["OPTIONS"] == {"sslmode": "require"}

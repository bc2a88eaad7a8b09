import os
import stat
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from rtcc.ffmpeg import MINIMUM_SYSTEM_VERSION, find_ffmpeg, read_version

ROOT = Path(__file__).resolve().parents[2]


def test_the_binary_found_runs_and_is_recent_enough():
    ffmpeg = find_ffmpeg()
    assert os.access(ffmpeg.path, os.X_OK)
    assert ffmpeg.version is not None and ffmpeg.version >= MINIMUM_SYSTEM_VERSION
    assert ffmpeg.origin in {"system", "wheel", "setting"}


def test_check_warns_about_an_old_ffmpeg(tmp_path):
    old = tmp_path / "ffmpeg"
    old.write_text("#!/bin/sh\necho 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021'\n")
    old.chmod(old.stat().st_mode | stat.S_IEXEC)
    assert read_version(str(old)) == (4, 4, 2)
    env = {**os.environ, "RTCC_FFMPEG": str(old)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert "rtcc.W001" in result.stderr + result.stdout
    assert "older than 8.1.3" in result.stderr + result.stdout


def test_explicit_setting_wins(tmp_path):
    find_ffmpeg.cache_clear()
    try:
        with override_settings(RTCC_FFMPEG="/nonexistent/ffmpeg"):
            found = find_ffmpeg()
            assert (found.path, found.origin, found.version) == ("/nonexistent/ffmpeg", "setting", None)
    finally:
        find_ffmpeg.cache_clear()

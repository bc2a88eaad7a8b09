"""Debian's Chromium for browser tests: where it is, how it starts, where screenshots go."""

import re
from pathlib import Path

from django.conf import settings

from tests.peers.check import chromium_path

# Tests that use it carry the `browser` marker: tests/conftest.py skips them where it is missing.
CHROMIUM = chromium_path()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"


def keep_to_loopback(context):
    """Abort every request that leaves this machine, before it is sent.

    The wall's map asks a public tile server for tiles; where outside addresses neither answer
    nor refuse, those image requests hold the page's load event for minutes. Tests use loopback
    only, and a page must work without its map tiles.
    """
    context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/]|localhost[:/]|\[::1\][:/])"), _abort)
    return context


def _abort(route):
    route.abort()

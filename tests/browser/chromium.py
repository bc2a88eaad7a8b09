"""Debian's Chromium for browser tests: where it is, how it starts, where screenshots go."""

from pathlib import Path

from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
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
NO_CHROMIUM = f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"

"""Stop a bad configuration at start-up with one readable line, not a traceback."""

import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def load_settings_or_exit() -> None:
    try:
        settings.INSTALLED_APPS  # noqa: B018 -- reading a setting loads and validates them all
    except ImproperlyConfigured as error:
        sys.stderr.write(f"OpenRTCC configuration error: {error}\n")
        sys.exit(2)

"""Set up Django on a throwaway var/ folder, so a benchmark never touches the demo's data."""

import os
import tempfile


def setup_django() -> str:
    var_dir = tempfile.mkdtemp(prefix="rtcc-bench-")
    os.environ.setdefault("RTCC_VAR_DIR", var_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtcc.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    return os.environ["RTCC_VAR_DIR"]

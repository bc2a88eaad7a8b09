"""Set up Django on a throwaway var/ folder, so a benchmark never touches the demo's data."""

import contextlib
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


def contracted_agency(days: int = 1):
    """A benchmark agency ("bench") with a contract active from yesterday for `days` days."""
    from datetime import date, timedelta

    from agencies.models import Agency
    from billing.models import Contract, Package

    agency = Agency.objects.create(slug="bench", name="Bench PD", lat=41.88, lon=-87.63)
    Contract.objects.create(
        agency=agency, package=Package.objects.create(slug="b", name="B", price_per_device_year=0),
        reference="BENCH", starts_on=date.today() - timedelta(days=1), ends_on=date.today() + timedelta(days=days),
        device_quota=1, price_per_device_year=0, status=Contract.Status.ACTIVE,
    )  # fmt: skip
    return agency


@contextlib.contextmanager
def bench_redis():
    """The Redis of REDIS_URL, or an embedded one for the run's length. Django is set up."""
    from django.conf import settings

    from rtcc.embedded_redis import EmbeddedRedis

    redis = None if settings.REDIS_URL else EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
    try:
        yield
    finally:
        if redis is not None:
            redis.stop()

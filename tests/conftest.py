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

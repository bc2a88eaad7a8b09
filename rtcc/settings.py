"""OpenRTCC settings, read from the environment.

With no environment at all the project runs on one machine: SQLite and media under
`var/`, an embedded Redis on a unix socket under `var/`, ffmpeg from the wheel.
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and an external Redis.
Every variable is listed with its default in README.md.
"""

import os
from pathlib import Path

from rtcc.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    env_url,
    secret_key_from_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# pytest (8.2+) announces itself in the environment, which reaches the settings before
# any conftest does. Each test run, and every process it starts (they inherit the
# variable set here), gets its own var/ folder: a running demo and concurrent test runs
# never share a database file, a Redis or media files.
TESTING = "PYTEST_VERSION" in os.environ
if TESTING:
    os.environ.setdefault("RTCC_TEST_RUN", str(os.getpid()))
    DEFAULT_VAR_DIR = BASE_DIR / "var" / "test" / f"run-{os.environ['RTCC_TEST_RUN']}"
else:
    DEFAULT_VAR_DIR = BASE_DIR / "var"
VAR_DIR = Path(env_str("RTCC_VAR_DIR", str(DEFAULT_VAR_DIR))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env_str("SECRET_KEY") or secret_key_from_file(VAR_DIR / "secret_key")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = env_str("SITE_NAME", "OpenRTCC")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "guardian",
    "channels",
    "rtcc.apps.RtccConfig",
    "agencies",
    "cameras",
    "devices",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rtcc.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "rtcc.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "rtcc.context_processors.site",
            ],
        },
    },
]

# Database
DATABASE_URL = env_url("DATABASE_URL", {"postgres", "postgresql", "sqlite"})
if DATABASE_URL:
    DATABASES = {"default": database_from_url("DATABASE_URL", DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "rtcc.sqlite3",
            # A file, not memory: relay nodes, daphne and browser tests run in other
            # processes and must see the test database.
            "TEST": {"NAME": VAR_DIR / "test.sqlite3"},
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: one URL feeds the Celery broker, the channel layer and the cache.
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss", "unix"})
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CHANNEL_REDIS_HOST: str | dict = REDIS_URL
    CACHE_LOCATION = REDIS_URL
else:
    CELERY_BROKER_URL = f"redis+socket://{EMBEDDED_REDIS_SOCKET}"
    CHANNEL_REDIS_HOST = {"address": f"unix://{EMBEDDED_REDIS_SOCKET}"}
    CACHE_LOCATION = f"unix://{EMBEDDED_REDIS_SOCKET}"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_LOCATION,
        "KEY_PREFIX": "rtcc-test" if TESTING else "rtcc",
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [CHANNEL_REDIS_HOST],
            "prefix": "rtcc-test" if TESTING else "rtcc",
            # A wall tab that stops reading must not make the hub hold messages for long:
            # the client re-reads the full state when it reconnects.
            "capacity": env_int("RTCC_CHANNEL_CAPACITY", 200, minimum=10),
            "expiry": env_int("RTCC_CHANNEL_EXPIRY", 30, minimum=5),
            "group_expiry": 3600,
        },
    }
}

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "rtcc-test" if TESTING else "rtcc"
CELERY_TIMEZONE = "UTC"

# Auth
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; the public gets no grants
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("RTCC_SESSION_HOURS", 12, minimum=1) * 3600

# Internationalisation
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static and media
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start without it
STATICFILES_DIRS = [BASE_DIR / "static"]
# The embedded default serves static files straight from the source tree, no collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media"))).resolve()
MEDIA_URL = "/media/"

# E-mail: the console unless an SMTP host is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "OpenRTCC <noreply@localhost>")

# API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rtcc.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "rtcc.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("RTCC_AUTH_RATE", "1000/min" if TESTING else "20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenRTCC API",
    "DESCRIPTION": "Consented camera network for real-time crime centers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CameraStatusEnum": "cameras.models.Camera.Status",
        "FootageRequestStatusEnum": "cameras.footage.models.FootageRequest.Status",
    },
}

# Video
RTCC_FFMPEG = env_str("RTCC_FFMPEG")  # an explicit binary; else a recent system ffmpeg, else the wheel's
RTCC_MAP_TILE_URL = env_str("RTCC_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
RTCC_DEMO_PORT = env_int("RTCC_PORT", 8000, minimum=1, maximum=65535)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not a log level; use DEBUG, INFO, WARNING or ERROR."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
# Hosts a pull URL may name even though they resolve to a loopback or link-local address
# (an RTSP test server on this machine); everything else on those networks is refused.
RTCC_PULL_ALLOWED_HOSTS = env_list("RTCC_PULL_ALLOWED_HOSTS", [])

# Relay fleet (cameras/relay, cameras/media; docs/relay-fleet.md)
RTCC_RELAY_LEASE_SECONDS = env_int("RTCC_RELAY_LEASE_SECONDS", 15, minimum=3, maximum=300)
RTCC_RELAY_STALL_SECONDS = env_int("RTCC_RELAY_STALL_SECONDS", 5, minimum=2, maximum=300)
RTCC_RELAY_BACKOFF_MAX_SECONDS = env_int("RTCC_RELAY_BACKOFF_MAX_SECONDS", 10, minimum=1, maximum=600)
RTCC_RELAY_STATUS_SECONDS = env_int("RTCC_RELAY_STATUS_SECONDS", 2, minimum=1, maximum=60)
# Tests listen on their own range, so a running demo and a test run never share a port.
RTCC_SRT_PORT_BASE = env_int("RTCC_SRT_PORT_BASE", 31000 if TESTING else 20000, minimum=1024, maximum=65000)
RTCC_SRT_HOST = env_str("RTCC_SRT_HOST", "127.0.0.1")
RTCC_MEDIA_URL_SECONDS = env_int("RTCC_MEDIA_URL_SECONDS", 300, minimum=30, maximum=3600)
RTCC_MEDIA_ACCEL_REDIRECT = env_str("RTCC_MEDIA_ACCEL_REDIRECT")
# Relay nodes sweep orphaned statuses themselves; beat covers the case of no node at all.
CELERY_BEAT_SCHEDULE = {
    "relay-fleet-sweep": {"task": "cameras.tasks.sweep_orphaned_relays", "schedule": 30.0},
    "prune-recordings": {"task": "cameras.tasks.prune_recordings", "schedule": 600.0},
    "expire-footage-requests": {"task": "cameras.tasks.expire_footage_requests", "schedule": 300.0},
}

"""OpenRTCC settings, read from the environment.

With no environment at all the project runs on one machine: SQLite and media under
`var/`, an embedded Redis on a unix socket under `var/`, ffmpeg from the wheel.
`DATABASE_URL` and `REDIS_URL` switch to PostgreSQL and an external Redis.
Every variable is listed with its default in README.md.
"""

import os
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from rtcc.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_networks,
    env_port_range,
    env_str,
    env_url,
    secret_key_from_file,
    tile_server_origin,
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
# Django's test set-up adds "testserver" itself; a deployment never answers to it.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "rtcc.views.csrf_failure"
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
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "channels",
    "rtcc.apps.RtccConfig",
    "agencies",
    "cameras",
    "devices",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rtcc.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "agencies.signin.middleware.SignInPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
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
                "agencies.context_processors.site",
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
# PostgreSQL connections come from psycopg's pool: a new connection per request cost more
# than the request's own queries. Not CONN_MAX_AGE: under daphne every request may run in
# another thread, and a persistent connection per thread piles up to the server's limit. A
# pooled connection is checked before it is handed out, so a restarted database costs a
# reconnect, never a failed request. SQLite opens a file: nothing to keep.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": env_int("RTCC_DB_POOL_SIZE", 10, minimum=1, maximum=200),
        "timeout": 10,
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # with a pool: psycopg checks each connection it lends
    # A database that does not answer is an error within seconds, never a hung process.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env_int("RTCC_DB_CONNECT_TIMEOUT", 5, minimum=1, maximum=300)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: one URL feeds the Celery broker, the channel layer and the cache.
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss", "unix"})
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis" / "redis.sock"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CHANNEL_REDIS_HOST = {"address": REDIS_URL}
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

# The channel layer's connections have no socket timeout (rtcc/async_redis.py says why). With
# redis-py 8's default of 5 s, two things went wrong: a read raced channels_redis's blocking pop
# of 5 s, so a quiet consumer's receive (a wall tab, a box) could end with "Timeout reading" and
# its socket with it; and every send ran under `asyncio.wait_for`, which before Python 3.12 can
# swallow a cancel, so a closed socket's receive could go on popping for ever. The pop itself
# answers within 5 s.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{**CHANNEL_REDIS_HOST, "socket_timeout": None}],
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
    # First: a locked-out account is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
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
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify, and are rehashed with argon2 at the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# Sign-in (agencies/signin; docs/sign-in.md). Sessions are rows with their user's id, so that
# ending someone's access deletes every session they hold.
SESSION_ENGINE = "agencies.signin.sessions"
# Served over HTTPS (directly or behind a TLS-terminating proxy): HSTS, redirects and
# secure cookies together, so `manage.py check --deploy` is clean with this one switch.
RTCC_HTTPS = env_bool("RTCC_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", RTCC_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if RTCC_HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("RTCC_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("RTCC_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("RTCC_HSTS_PRELOAD", True)
    # Only behind a proxy that sets (and overwrites) X-Forwarded-Proto: trusting a client's
    # header would let it pose as HTTPS.
    if env_bool("RTCC_PROXY_SETS_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Absolute: a sign-in ends this long after it began, whatever the activity.
SESSION_COOKIE_AGE = env_int("RTCC_SESSION_HOURS", 12, minimum=1, maximum=24) * 3600
RTCC_IDLE_MINUTES = env_int("RTCC_IDLE_MINUTES", 30, minimum=1, maximum=24 * 60)
RTCC_IDLE_WARNING_SECONDS = env_int("RTCC_IDLE_WARNING_SECONDS", 120, minimum=10, maximum=3600)
# A wall gone this long (tab closed, browser crashed) ends its user's open viewing sessions.
RTCC_WALL_GRACE_SECONDS = env_int("RTCC_WALL_GRACE_SECONDS", 120, minimum=10, maximum=3600)
RTCC_TOKEN_HOURS = env_int("RTCC_TOKEN_HOURS", 12, minimum=1, maximum=24 * 30)
# Proxies whose X-Forwarded-For is believed; the client is the right-most hop outside them.
RTCC_TRUSTED_PROXIES = env_networks("RTCC_TRUSTED_PROXIES", [])
OTP_TOTP_ISSUER = SITE_NAME
# Lockout (django-axes): 5 failures within 15 minutes lock the account for 30 minutes.
AXES_HANDLER = "agencies.signin.lockout.WindowedLockoutHandler"
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = "agencies.signin.lockout.lock_duration"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "rtcc.client.client_address"
AXES_LOCKOUT_CALLABLE = "agencies.signin.views.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "otp"]
AXES_VERBOSE = False
# Axes warns when it does not lock per address: here addresses are limited by the per-client
# sign-in rate (RTCC_AUTH_RATE) instead, and one bad client never locks out a whole building's NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

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

# Request bodies: no form or API body here comes near 1 MiB; refusing more keeps memory bounded.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("RTCC_MAX_BODY_BYTES", 1024 * 1024, minimum=16 * 1024)

# API
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": ["rtcc.parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agencies.signin.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rtcc.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "rtcc.schema.AutoSchema",
    "EXCEPTION_HANDLER": "rtcc.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {"auth": env_str("RTCC_AUTH_RATE", "1000/min" if TESTING else "20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OpenRTCC API",
    "DESCRIPTION": "Consented camera network for real-time crime centers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: the docs work offline, and no
    # third-party origin is in the Content-Security-Policy.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: it would load an image from swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # `<id:pk>` (rtcc.validators.IdConverter): a row id, 1 to 2**63 - 1 (ID_MAX).
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "ENUM_NAME_OVERRIDES": {
        "CameraStatusEnum": "cameras.models.Camera.Status",
        "FootageRequestStatusEnum": "cameras.footage.models.FootageRequest.Status",
    },
}

# Video
RTCC_FFMPEG = env_str("RTCC_FFMPEG")  # an explicit binary; else a recent system ffmpeg, else the wheel's
RTCC_MAP_TILE_URL = env_str("RTCC_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
RTCC_MAP_TILE_ORIGIN = tile_server_origin("RTCC_MAP_TILE_URL", RTCC_MAP_TILE_URL)
RTCC_DEMO_PORT = env_int("RTCC_PORT", 8000, minimum=1, maximum=65535)
# The demo's street cameras in Riverside (the seed's 4 at least; 64 fill an 8x8 wall).
RTCC_DEMO_CAMERAS = env_int("RTCC_DEMO_CAMERAS", 4, minimum=4, maximum=256)

# Content-Security-Policy (docs/ARCHITECTURE.md): text people typed is data, never code,
# and this policy backs that up. No inline script or style, no eval, no other origin for
# scripts; the map tile server is the one image origin beside this site. The page's own
# ws:/wss: origin is added to connect-src per request (rtcc/csp.py).
CSP_REPORT_PATH = "/csp-report/"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", *filter(None, [RTCC_MAP_TILE_ORIGIN])],
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        # hls.js transmuxes in a worker made from a blob: URL; only script already
        # running here can make one, so this opens no way in.
        "worker-src": [SELF, "blob:"],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "report-uri": [CSP_REPORT_PATH],
    }
}

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
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
# Pull cameras (docs/pull-sources.md): hosts and networks a pull URL may reach although the
# address policy (rtcc/netpolicy.py) refuses them, e.g. an agency's camera VLAN. Empty by
# default: the hub then pulls only from public addresses.
RTCC_PULL_ALLOWED_HOSTS = env_list("RTCC_PULL_ALLOWED_HOSTS", [])
RTCC_PULL_ALLOWED_NETWORKS = env_networks("RTCC_PULL_ALLOWED_NETWORKS", [])

# Relay fleet (cameras/relay, cameras/media; docs/relay-fleet.md)
RTCC_RELAY_LEASE_SECONDS = env_int("RTCC_RELAY_LEASE_SECONDS", 15, minimum=3, maximum=300)
# A relay node's statements end after this long (PostgreSQL): a hung database fails the pass,
# and the fence stops ffmpeg at the lease's end whatever the database does.
RTCC_RELAY_STATEMENT_SECONDS = env_int("RTCC_RELAY_STATEMENT_SECONDS", 5, minimum=1, maximum=300)
RTCC_RELAY_STALL_SECONDS = env_int("RTCC_RELAY_STALL_SECONDS", 5, minimum=2, maximum=300)
RTCC_RELAY_BACKOFF_MAX_SECONDS = env_int("RTCC_RELAY_BACKOFF_MAX_SECONDS", 10, minimum=1, maximum=600)
RTCC_RELAY_STATUS_SECONDS = env_int("RTCC_RELAY_STATUS_SECONDS", 2, minimum=1, maximum=60)
# On-demand cameras (cameras/relay/demand.py): a viewer's demand lasts this long unless renewed
# (the wall renews it with its link, at half the link's life), and the relay runs on this long
# after the last demand ends, so a viewer who comes back at once finds it running.
RTCC_DEMAND_TTL_SECONDS = env_int("RTCC_DEMAND_TTL_SECONDS", 180, minimum=10, maximum=3600)
# The most relays one node runs; a camera beyond every live node's capacity shows
# `no_capacity`. About 50 relays per core were measured with room to spare (BENCHMARKS.md).
RTCC_RELAY_CAPACITY = env_int("RTCC_RELAY_CAPACITY", 50 * (os.cpu_count() or 1), minimum=1, maximum=100_000)
# A relay node re-reads the whole desired state once per period, aligned to the clock (at each
# whole minute with 60, when consent schedules turn); between, a pass reads only the cameras it
# holds, the demanded ones and those a wake message names (cameras/relay/node.py).
RTCC_RELAY_RECONCILE_SECONDS = env_int("RTCC_RELAY_RECONCILE_SECONDS", 60, minimum=1, maximum=3600)
RTCC_RELAY_LINGER_SECONDS = env_int("RTCC_RELAY_LINGER_SECONDS", 30, minimum=0, maximum=3600)
RTCC_INCIDENT_PREWARM_SECONDS = env_int("RTCC_INCIDENT_PREWARM_SECONDS", 120, minimum=0, maximum=3600)
# The UDP ports a relay node listens on for pushed cameras, one per relayed camera, handed out
# with the lease (cameras/relay/ports.py). Below Linux's ephemeral range (32768-60999), which a
# node refuses to overlap. Tests listen on their own range, so a demo and a test run never share one.
RTCC_SRT_PORT_RANGE = env_port_range("RTCC_SRT_PORT_RANGE", (31000, 31999) if TESTING else (20000, 20999))
RTCC_SRT_HOST = env_str("RTCC_SRT_HOST", "127.0.0.1")
RTCC_MEDIA_URL_SECONDS = env_int("RTCC_MEDIA_URL_SECONDS", 300, minimum=10, maximum=3600)
RTCC_MEDIA_ACCEL_REDIRECT = env_str("RTCC_MEDIA_ACCEL_REDIRECT")
# The longest a stored media decision is trusted (cameras/media/authorization_cache.py); 0
# checks every playlist and segment request against the database.
RTCC_MEDIA_AUTH_CACHE_SECONDS = env_int("RTCC_MEDIA_AUTH_CACHE_SECONDS", 60, minimum=0, maximum=3600)
# Relay nodes sweep orphaned statuses themselves; beat covers the case of no node at all.
CELERY_BEAT_SCHEDULE = {
    "relay-fleet-sweep": {"task": "cameras.tasks.sweep_orphaned_relays", "schedule": 30.0},
    "prune-recordings": {"task": "cameras.tasks.prune_recordings", "schedule": 600.0},
    "expire-footage-requests": {"task": "cameras.tasks.expire_footage_requests", "schedule": 300.0},
    "end-lapsed-viewing": {"task": "cameras.tasks.end_lapsed_viewing_sessions", "schedule": 60.0},
    "close-lapsed-shares": {"task": "cameras.tasks.close_lapsed_shares", "schedule": 15.0},
    # Half a heartbeat interval: a box is reported offline at most 15 s after its second miss.
    "mark-offline-devices": {"task": "devices.tasks.mark_offline_devices", "schedule": 15.0},
    "request-box-uploads": {"task": "devices.tasks.request_box_uploads", "schedule": 15.0},
}

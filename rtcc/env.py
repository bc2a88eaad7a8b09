"""Typed readers for environment variables.

Each reader names the variable in the error it raises, so that a bad value stops
start-up with a message an operator can act on.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name}={value} is above the maximum of {maximum}.")
    return value


def env_port_range(name: str, default: tuple[int, int]) -> tuple[int, int]:
    """`LOW-HIGH`, both ports from 1024 to 65535, LOW <= HIGH."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    low, dash, high = raw.strip().partition("-")
    if not dash or not low.strip().isdigit() or not high.strip().isdigit():
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a port range; write it as LOW-HIGH, e.g. 20000-20999."
        )
    low, high = int(low), int(high)
    if not 1024 <= low <= high <= 65535:
        raise ImproperlyConfigured(f"{name}={raw!r}: give ports from 1024 to 65535, the lower first.")
    return low, high


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: list[str]) -> list[str]:
    """A comma-separated list of IP networks (CIDR, or single addresses), each normalised."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(str(ipaddress.ip_network(item.strip("[]"), strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP network; write one like 10.20.0.0/16 or 2001:db8::/32."
            ) from None
    return networks


def env_url(name: str, schemes: set[str]) -> str | None:
    """Return the URL in `name`, or None when unset; reject an unknown scheme or a missing host."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 -- parsing the port raises ValueError on garbage
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {error}.") from None
    if parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} has scheme {parts.scheme!r}; expected one of: {allowed}.")
    if parts.scheme not in {"sqlite", "unix", "redis+socket"} and not parts.hostname:
        raise ImproperlyConfigured(f"{name} has no host name.")
    return raw


def tile_server_origin(name: str, url: str) -> str | None:
    """The origin map tiles load from for the Leaflet URL template `url`; None when it is a path on this site.

    The Content-Security-Policy names this origin as the one image source beside the site
    itself. Leaflet's `{s}` (subdomains) may stand as the first label of the host and
    becomes the policy's `*.` wildcard; no other placeholder may stand in the origin.
    """
    try:
        parts = urlsplit(url.replace("{s}.", "s-placeholder."))
        port = parts.port
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {error}.") from None
    if not parts.scheme and not parts.netloc:
        if not url.startswith("/"):
            raise ImproperlyConfigured(f"{name}={url!r} is neither an https:// URL nor a path on this site.")
        return None
    if parts.scheme not in {"https", "http"}:
        raise ImproperlyConfigured(f"{name} has scheme {parts.scheme!r}; expected https or http.")
    host = parts.hostname or ""
    if not host or "{" in host or "}" in host or "@" in parts.netloc:
        raise ImproperlyConfigured(f"{name}={url!r} has no plain host name; only {{s}}. may start it.")
    host = host.replace("s-placeholder.", "*.", 1) if host.startswith("s-placeholder.") else host
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def database_from_url(name: str, url: str) -> dict:
    """Translate a postgres:// or sqlite:/// URL into a Django DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ImproperlyConfigured(f"{name} names no SQLite file (sqlite:////absolute/path).")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise ImproperlyConfigured(f"{name} names no database (postgres://user@host:5432/name).")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


def secret_key_from_file(path: Path) -> str:
    """Read the generated secret key, creating it (mode 0600) on first run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    key = get_random_secret_key()
    # O_EXCL: two processes starting together must end up with the same key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key

"""Which pull URLs the hub may fetch, and where exactly it connects for them.

Only agency admins enter pull URLs, and even theirs are checked: a URL reaches a relay
only through `pin_pull_url`, which refuses local files, ffmpeg's pseudo-protocols,
option-looking strings and every host the address policy (`rtcc.netpolicy`) refuses. It
resolves the host once and returns the addresses it checked; the relay connects to one of
those (never resolving the name again), so a DNS answer that changes between the check
and the connection gives nothing. The relay pins again at every start.
"""

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from rtcc.netpolicy import AddressPolicy, Pinned, Refused

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
PULL_SCHEMES = set(DEFAULT_PORTS)
MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class PullTarget:
    """A checked pull URL and the addresses its host resolved to when it was checked."""

    url: str
    scheme: str
    host: str
    port: int
    pinned: Pinned

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)

    @property
    def host_header(self) -> str:
        """The Host header the camera expects: the name as written, its port if not the default."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == DEFAULT_PORTS[self.scheme] else f"{shown}:{self.port}"

    def same_origin(self, url: str) -> bool:
        """Whether `url` (absolute, or relative to this one) names this URL's scheme, host and port."""
        try:
            parts = urlsplit(urljoin(self.url, url))
            port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return False
        return (parts.scheme.lower(), parts.hostname or "", port) == self.origin


def address_policy() -> AddressPolicy:
    return AddressPolicy.build(settings.RTCC_PULL_ALLOWED_HOSTS, settings.RTCC_PULL_ALLOWED_NETWORKS)


def check_pull_url(url: str) -> str:
    """Return the URL stripped of surrounding blanks, or raise ValidationError with the reason."""
    return pin_pull_url(url).url


def pin_pull_url(url: str) -> PullTarget:
    """Check `url` and resolve its host once; raise ValidationError with a reason a person can act on."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the camera's stream URL.")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if url.startswith("-"):
        raise ValidationError("A URL cannot start with '-'.")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise ValidationError("The URL contains spaces or control characters.")
    if "\\" in url:
        raise ValidationError("The URL contains a backslash, which URL parsers read differently.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"The URL cannot be read: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in PULL_SCHEMES:
        allowed = ", ".join(sorted(PULL_SCHEMES))
        raise ValidationError(f"Scheme '{scheme or '(none)'}' is not allowed; use one of: {allowed}.")
    if port == 0:
        raise ValidationError("Port 0 cannot be connected to.")
    host = parts.hostname or ""
    port = port or DEFAULT_PORTS[scheme]
    try:
        pinned = address_policy().pin(host, port)
    except Refused as error:
        raise ValidationError(str(error)) from None
    return PullTarget(url=url, scheme=scheme, host=host, port=port, pinned=pinned)


def redact_url(url: str) -> str:
    """The URL with its password and query string hidden, for logs and messages."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable URL)"
    user = f"{parts.username}:***@" if parts.username else ""
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}{query}"

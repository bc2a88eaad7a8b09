"""Which pull URLs the hub may fetch.

Only agency admins enter pull URLs, and even theirs are checked: a URL reaches ffmpeg
only through `check_pull_url`, which refuses local files, ffmpeg's pseudo-protocols,
option-looking strings and hosts on the hub's own or link-local networks (cloud
metadata). The relay checks again when it starts, since DNS answers change.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

PULL_SCHEMES = {"rtsp", "rtsps", "http", "https"}
MAX_URL_LENGTH = 2000


def check_pull_url(url: str, *, resolve=socket.getaddrinfo) -> str:
    """Return the URL stripped of surrounding blanks, or raise ValidationError with the reason."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Enter the camera's stream URL.")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if url.startswith("-"):
        raise ValidationError("A URL cannot start with '-'.")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise ValidationError("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"The URL cannot be read: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in PULL_SCHEMES:
        allowed = ", ".join(sorted(PULL_SCHEMES))
        raise ValidationError(f"Scheme '{scheme or '(none)'}' is not allowed; use one of: {allowed}.")
    host = parts.hostname
    if not host:
        raise ValidationError("The URL has no host.")
    if host in set(getattr(settings, "RTCC_PULL_ALLOWED_HOSTS", [])):
        return url
    default_port = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}[scheme]
    try:
        infos = resolve(host, port or default_port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValidationError(f"The host '{host}' cannot be resolved.") from None
    addresses = {info[4][0] for info in infos}
    if not addresses:
        raise ValidationError(f"The host '{host}' has no address.")
    for address in addresses:
        reason = forbidden_address_reason(ipaddress.ip_address(address.split("%", 1)[0]))
        if reason:
            raise ValidationError(
                f"The host '{host}' resolves to {address}, {reason}; the hub does not fetch it."
            )
    return url


def forbidden_address_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    return ""


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

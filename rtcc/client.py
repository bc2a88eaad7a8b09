"""The address of the client behind a request: what throttles, lockouts and the audit key on.

`REMOTE_ADDR` is the peer that opened the connection. `X-Forwarded-For` is believed only as far
as `RTCC_TRUSTED_PROXIES` reaches: reading it right to left, each hop added by a trusted proxy
is skipped, and the first address a trusted proxy did not add is the client. Anything to its
left was written by the client and may be forged.
"""

import functools
import ipaddress

from django.conf import settings


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.cache
def _networks(texts: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(text) for text in texts)


def _trusted(address) -> bool:
    # The setting holds networks as text (rtcc.env.env_networks); parsed once per value, not per request.
    return any(address in network for network in _networks(tuple(settings.RTCC_TRUSTED_PROXIES)))


def client_address(request) -> str | None:
    """The client's IP address as text, or None when the connection gives none."""
    meta = getattr(request, "META", None) or {}
    peer = _address(meta.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    if not _trusted(peer):
        return peer.compressed
    client = peer
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Not something a trusted proxy writes: nothing left of it is to be believed.
            break
        client = address
        if not _trusted(address):
            break
    return client.compressed

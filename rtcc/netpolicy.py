"""Which network addresses the hub may connect to when it pulls a camera.

One policy for every pull: a host name is resolved once, every address it resolves to
must pass, and the caller connects to an address that was checked (never resolving the
name again, so a DNS answer that changes later cannot move the connection). Refused
unless an allow-list names them: this machine, private and shared (CGNAT) networks,
link-local, unique-local, IPv6 transition forms that carry an IPv4 address (mapped,
6to4, Teredo, NAT64), IETF special ranges, documentation, multicast and reserved space.
Cloud metadata endpoints are refused even inside an allowed network: only naming the
exact address (or a network of that one address) opens one.

This module knows nothing of Django; `cameras.sources` builds the policy from settings.
"""

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = {
    ipaddress.ip_address(text): cloud
    for text, cloud in [
        ("169.254.169.254", "AWS, GCP, Azure and OpenStack"),
        ("169.254.170.2", "AWS ECS task"),
        ("169.254.169.123", "AWS time"),
        ("fd00:ec2::254", "AWS over IPv6"),
        ("fd00:ec2::23", "AWS DNS over IPv6"),
        ("100.100.100.200", "Alibaba Cloud"),
        ("192.0.0.192", "Oracle Cloud"),
    ]
}
METADATA_NAMES = {
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "metadata.tencentyun.com",
    "instance-data",
    "instance-data.ec2.internal",
}

# In order: the first network that holds an address gives the reason.
REFUSED_NETWORKS = [
    (ipaddress.ip_network(text), reason)
    for text, reason in [
        ("0.0.0.0/8", "the unspecified 'this network' range"),
        ("127.0.0.0/8", "a loopback address (this machine)"),
        ("10.0.0.0/8", "a private address"),
        ("172.16.0.0/12", "a private address"),
        ("192.168.0.0/16", "a private address"),
        ("100.64.0.0/10", "a shared carrier-grade NAT (CGNAT) address"),
        ("169.254.0.0/16", "a link-local address"),
        ("192.0.0.0/24", "an IETF protocol assignment (192.0.0.0/24)"),
        ("192.0.2.0/24", "a documentation address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("192.88.99.0/24", "the deprecated 6to4 relay anycast range"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address (this machine)"),
        ("fc00::/7", "a unique-local address (IPv6's private range)"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a deprecated site-local address"),
        ("2001:db8::/32", "a documentation address"),
        ("3fff::/20", "a documentation address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol assignment (2001::/23)"),
        ("ff00::/8", "a multicast address"),
    ]
]
# Forms that carry an IPv4 address inside an IPv6 one: a route to the IPv4 address, so
# refused whole unless allowed, and then the IPv4 address inside must pass as well.
NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]
SIXTOFOUR = ipaddress.ip_network("2002::/16")
TEREDO = ipaddress.ip_network("2001::/32")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# A label a resolver may read as a number: inet_aton takes 0x7f, 0177 and 2130706433.
NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class Refused(ValueError):
    """The host or address may not be connected to; the message says why, for a person."""


@dataclass(frozen=True)
class Pinned:
    """A host name and the addresses it resolved to, each of which passed the policy."""

    host: str  # as written in the URL (an IP literal without brackets, or a name)
    addresses: tuple[IPAddress, ...]

    @property
    def address(self) -> IPAddress:
        return self.addresses[0]


@dataclass(frozen=True)
class AddressPolicy:
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, hosts: Iterable[str] = (), networks: Iterable[str] = ()) -> "AddressPolicy":
        return cls(
            frozenset(normal_host(host) for host in hosts),
            tuple(ipaddress.ip_network(str(network), strict=False) for network in networks),
        )

    def host_allowed(self, host: str) -> bool:
        return normal_host(host) in self.allowed_hosts

    def network_allowed(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks)

    def names_exactly(self, address: IPAddress) -> bool:
        return normal_host(str(address)) in self.allowed_hosts or any(
            network.num_addresses == 1 and address in network for network in self.allowed_networks
        )

    def refusal(self, address: IPAddress, *, host_allowed: bool = False) -> str:
        """Why the hub may not connect to `address`, or "" if it may."""
        if address in METADATA_ADDRESSES and not self.names_exactly(address):
            return f"a cloud metadata endpoint ({METADATA_ADDRESSES[address]})"
        if host_allowed or self.network_allowed(address):
            inner = embedded_ipv4(address)
            if inner is None:
                return ""
            reason = self.refusal(inner, host_allowed=host_allowed)
            return f"an IPv6 form of {inner}, {reason}" if reason else ""
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = self.refusal(inner)
            if reason:
                return f"{transition_form(address)} carrying {inner}, which is {reason}"
            return f"{transition_form(address)} carrying {inner}: write {inner} itself"
        for network, reason in REFUSED_NETWORKS:
            if address.version == network.version and address in network:
                return reason
        if not address.is_global:
            return "not a public address"
        return ""

    def check_host(self, host: str) -> None:
        """Refuse a host that is unreadable or names something refused whatever it resolves to."""
        if not host:
            raise Refused("The URL has no host.")
        if not host.isascii():
            raise Refused(f"The host '{host}' is not plain ASCII; write it in its punycode (xn--) form.")
        if "%" in host:
            raise Refused(
                f"The host '{host}' has a percent sign: percent-encoded hosts and IPv6 zone ids "
                "are not accepted."
            )
        name = normal_host(host)
        if self.host_allowed(host):
            return
        if name in METADATA_NAMES:
            raise Refused(f"The host '{host}' is a cloud metadata service; the hub does not fetch it.")
        if name == "localhost" or name.endswith(".localhost"):
            raise Refused(f"The host '{host}' is this machine (localhost); the hub does not fetch it.")
        if literal(host) is None and all(NUMERIC_LABEL.match(label) for label in name.split(".")):
            raise Refused(
                f"The host '{host}' is an IPv4 address written as a single number, in octal or hex, "
                "or with parts left out; write it as four decimal numbers (a.b.c.d)."
            )

    def pin(self, host: str, port: int, *, resolve: Callable | None = None) -> Pinned:
        """Resolve `host` once; every address must pass. Raise Refused with the reason."""
        self.check_host(host)
        host_allowed = self.host_allowed(host)
        address = literal(host)
        if address is not None:
            addresses = [address]
        else:
            resolve = resolve or socket.getaddrinfo
            try:
                infos = resolve(host, port, proto=socket.IPPROTO_TCP)
            except (OSError, UnicodeError, ValueError):
                raise Refused(f"The host '{host}' cannot be resolved.") from None
            addresses = list(
                dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos)
            )
            if not addresses:
                raise Refused(f"The host '{host}' has no address.")
        for each in addresses:
            reason = self.refusal(each, host_allowed=host_allowed)
            if reason:
                shown = "is" if address is not None else f"resolves to {each},"
                raise Refused(f"The host '{host}' {shown} {reason}; the hub does not connect there.")
        return Pinned(host, tuple(addresses))


def normal_host(host: str) -> str:
    address = literal(host)
    return str(address) if address is not None else host.strip("[]").rstrip(".").lower()


def literal(host: str) -> IPAddress | None:
    """The address `host` spells in canonical form (dotted decimal or IPv6), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in TEREDO:
        return address.teredo[1]  # the client's address; the server's is public by design
    if address in NAT64[0]:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in NAT64[1]:
        # RFC 6052 with a /48 prefix: the IPv4 address sits in bits 48-63 and 72-87.
        value = int(address)
        return ipaddress.IPv4Address(((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF)
    if address in IPV4_COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    return None


def transition_form(address: ipaddress.IPv6Address) -> str:
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    if address in SIXTOFOUR:
        return "a 6to4 address"
    if address in TEREDO:
        return "a Teredo address"
    if any(address in network for network in NAT64):
        return "a NAT64 address"
    return "an IPv4-compatible IPv6 address"

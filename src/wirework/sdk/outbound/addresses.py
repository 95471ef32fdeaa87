"""The SSRF guard: which addresses outbound HTTP may connect to.

Only globally routable unicast addresses are reached (an allow-list, not a block-list):
IPv4 outside every special-purpose range (private, loopback, link-local, CGNAT — which holds
the 100.100.100.200 metadata address —, documentation, benchmarking, the 6to4 relay anycast,
multicast, reserved, broadcast), IPv6 inside 2000::/3 and not special-purpose. IPv6 addresses
that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``,
6to4 ``2002::/16``, Teredo ``2001::/32`` with its server and inverted client address, NAT64
``64:ff9b::/96`` and the local-use ``64:ff9b:1::/48`` in its /96 form) are judged by that IPv4
address. The admin allow-list (``WIREWORK_OUTBOUND_ALLOW``: host names, addresses, CIDR
ranges) opens private destinations on purpose.

The decision is taken on the *resolved* address at connect time, for every connection (so
redirects and DNS tricks are covered), and the connection goes to the very address checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})

# IPv4 ranges that are never reached, whatever ``is_global`` says on this Python version: the
# IANA special-purpose registry's non-global entries, plus CGNAT, the deprecated 6to4 relay
# anycast and multicast.
_DENIED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # CGNAT (Alibaba metadata 100.100.100.200)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (AWS/GCP/Azure metadata)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments (Oracle metadata 192.0.0.192)
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
    )
)
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_DENIED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments (Teredo is judged by its IPv4 first)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4 (judged by its IPv4 first)
        "3fff::/20",  # documentation
    )
)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_LOW32 = 0xFFFFFFFF


class BlockedAddress(httpx.ConnectError):
    """The SSRF guard refused a destination."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address carries (None: it carries none).

    An address of a translation prefix in a form that hides where its IPv4 part is gives
    ``[0.0.0.0]``, which is refused.
    """
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _IPV4_COMPATIBLE:  # also :: and ::1 (0.0.0.0 and 0.0.0.1: refused)
        return [ipaddress.IPv4Address(int(address) & _LOW32)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        server, client = address.teredo  # the client address comes back un-inverted
        return [server, client]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & _LOW32)]
    if address in _NAT64_LOCAL:
        if (int(address) >> 32) & ((1 << 48) - 1):  # not the /96 form: IPv4 position unknown
            return [ipaddress.IPv4Address(0)]
        return [ipaddress.IPv4Address(int(address) & _LOW32)]
    return None


def _listed(address: IPAddress, allow: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in allow)


def _public_v4(address: ipaddress.IPv4Address, allow: Sequence[IPNetwork]) -> bool:
    if _listed(address, allow):
        return True
    return address.is_global and not any(address in net for net in _DENIED_V4)


def address_allowed(address: IPAddress, allow: Sequence[IPNetwork] = ()) -> bool:
    """Whether outbound HTTP may connect to ``address``: globally routable unicast, or in an
    allowed network (``allow``, the admin's ``WIREWORK_OUTBOUND_ALLOW`` ranges)."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
    if _listed(address, allow):
        return True
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address, allow)
    carried = embedded_ipv4(address)
    if carried is not None:
        return all(_public_v4(v4, allow) for v4 in carried)
    return (
        address in _GLOBAL_UNICAST_V6
        and address.is_global
        and not any(address in net for net in _DENIED_V6)
    )


class OutboundPolicy:
    """The admin's allow-list and the response-size limits of outbound HTTP."""

    DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
    DEFAULT_MAX_RESPONSE_BYTES_CEILING = 256 * 1024 * 1024

    def __init__(
        self,
        allow: Iterable[str] = (),
        *,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_response_bytes_ceiling: int = DEFAULT_MAX_RESPONSE_BYTES_CEILING,
    ) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                self.hosts.add(entry.rstrip("."))
        self.max_response_bytes = max_response_bytes
        # A node may raise its own limit up to here (never below the default).
        self.max_response_bytes_ceiling = max(max_response_bytes_ceiling, max_response_bytes)

    @classmethod
    def from_env(cls) -> OutboundPolicy:
        from wirework.settings import Settings

        settings = Settings()
        return cls(
            settings.outbound_allow.split(","),
            max_response_bytes=settings.http_max_response_bytes,
            max_response_bytes_ceiling=settings.http_max_response_bytes_ceiling,
        )

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address_allowed(self, address: IPAddress) -> bool:
        return address_allowed(address, self.networks)


_policy: OutboundPolicy | None = None


def policy() -> OutboundPolicy:
    global _policy
    if _policy is None:
        _policy = OutboundPolicy.from_env()
    return _policy


def set_policy(value: OutboundPolicy | None) -> None:
    """Replace the process's policy (None: read the WIREWORK_ settings again)."""
    global _policy
    _policy = value


async def resolve_checked(host: str, port: int, guard: OutboundPolicy) -> str:
    """The first address of ``host`` that the policy allows, or BlockedAddress."""
    name = host.strip("[]").lower().rstrip(".")
    if name in METADATA_HOSTS and not guard.host_allowed(name):
        raise BlockedAddress(f"outbound request to {host} is blocked (cloud metadata)")
    try:
        literal: IPAddress | None = ipaddress.ip_address(name)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if guard.host_allowed(name):
        return str(addresses[0])
    for address in addresses:
        if guard.address_allowed(address):
            return str(address)
    raise BlockedAddress(
        f"outbound request to {host} ({addresses[0]}) is blocked: not a public address "
        "(private, loopback, link-local, shared, reserved or special-purpose; an admin may "
        "allow it with WIREWORK_OUTBOUND_ALLOW)"
    )

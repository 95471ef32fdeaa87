"""Outbound HTTP for nodes and integrations, behind an SSRF guard.

Every connection's *resolved* address is checked at connect time (so redirects and DNS
tricks are checked too): loopback, private, link-local, multicast, reserved and cloud
metadata addresses are refused unless allow-listed with ``WIREWORK_OUTBOUND_ALLOW``
(comma-separated host names, IP addresses or CIDR ranges, e.g. ``127.0.0.1,10.0.0.0/8``).
The connection then goes to the very address that was checked (no second lookup).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import certifi
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class BlockedAddress(httpx.ConnectError):
    """The SSRF guard refused a destination."""


class OutboundPolicy:
    def __init__(self, allow: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.networks: list[IPNetwork] = []
        for entry in allow:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry)

    @classmethod
    def from_env(cls) -> OutboundPolicy:
        return cls(os.environ.get("WIREWORK_OUTBOUND_ALLOW", "").split(","))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address_allowed(self, address: IPAddress) -> bool:
        if any(address in net for net in self.networks):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return not (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
            or str(address) in ("169.254.169.254", "fd00:ec2::254")
        )


_policy: OutboundPolicy | None = None


def policy() -> OutboundPolicy:
    global _policy
    if _policy is None:
        _policy = OutboundPolicy.from_env()
    return _policy


def set_policy(value: OutboundPolicy | None) -> None:
    """Replace the process's policy (None: read WIREWORK_OUTBOUND_ALLOW again)."""
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
        f"outbound request to {host} ({addresses[0]}) is blocked: private, loopback or "
        "link-local address (allow it with WIREWORK_OUTBOUND_ALLOW)"
    )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: OutboundPolicy | None) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._guard = guard

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await resolve_checked(host, port, self._guard or policy())
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are not allowed for outbound requests")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_client(
    *,
    timeout: float = 30.0,
    follow_redirects: bool = True,
    guard: OutboundPolicy | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An httpx client whose every connection passes the SSRF guard."""
    transport = httpx.AsyncHTTPTransport(retries=0)
    transport._pool = httpcore.AsyncConnectionPool(  # the only way to set a network backend
        ssl_context=ssl.create_default_context(cafile=certifi.where()),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(guard),
    )
    return httpx.AsyncClient(
        transport=transport,
        timeout=timeout,
        follow_redirects=follow_redirects,
        trust_env=False,
        **kwargs,
    )

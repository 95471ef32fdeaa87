"""The SSRF guard's decision on address literals: only globally routable unicast addresses,
IPv4 carried inside IPv6 judged as IPv4, the admin allow-list opening ranges on purpose.
Nothing here connects anywhere."""

from __future__ import annotations

import ipaddress

import pytest

from wirework.sdk.outbound import BlockedAddress, OutboundPolicy, address_allowed, resolve_checked

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "192.88.98.255",
    "192.88.100.0",
    "223.255.255.255",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "::8.8.8.8",  # IPv4-compatible public
    "2002:808:808::1",  # 6to4 of 8.8.8.8
    "64:ff9b::8.8.8.8",  # NAT64 of 8.8.8.8
    "64:ff9b:1::808:808",  # local-use NAT64, /96 form, of 8.8.8.8
    # Teredo: server 65.54.227.120, client 8.8.8.8 (stored inverted: f7f7:f7f7)
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
]

DENIED = [
    # IPv4 special-purpose
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.0",  # CGNAT
    "100.100.100.200",  # Alibaba Cloud metadata, inside CGNAT
    "100.127.255.255",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.0.1",
    "169.254.169.254",  # AWS / GCP / Azure metadata
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.1",
    "192.0.0.192",  # Oracle Cloud metadata
    "192.0.2.1",  # documentation
    "192.88.99.1",  # 6to4 relay anycast
    "192.168.1.1",
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",  # multicast
    "224.0.1.1",
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    # IPv6 special-purpose
    "::",
    "::1",
    "fe80::1",
    "fe80::1%1",
    "febf:ffff::1",
    "fec0::1",  # site-local (deprecated)
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fdff:ffff::1",
    "ff02::1",  # multicast
    "ff0e::1",
    "100::1",  # discard-only
    "2001:db8::1",  # documentation
    "3fff::1",
    "2001:10::1",  # ORCHID
    "2001:2::1",  # benchmarking
    "5f00::1",
    "4000::1",  # outside 2000::/3
    # IPv4-mapped
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:100.100.100.200",
    "::ffff:0.0.0.0",
    # IPv4-compatible
    "::127.0.0.1",
    "::a9fe:a9fe",
    "::10.1.2.3",
    # 6to4 embedding private IPv4
    "2002:a9fe:a9fe::",  # 169.254.169.254
    "2002:7f00:1::1",  # 127.0.0.1
    "2002:a00:1::",  # 10.0.0.1
    "2002:6464:64c8::1",  # 100.100.100.200
    "2002:c058:6301::",  # 192.88.99.1
    # Teredo with a private client (inverted) or server
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # client 127.0.0.1
    "2001:0:4136:e378:8000:63bf:5601:5601",  # client 169.254.169.254
    "2001:0:a00:1::f7f7:f7f7",  # server 10.0.0.1
    "2001::",
    # NAT64
    "64:ff9b::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::10.0.0.1",
    "64:ff9b::100.100.100.200",
    "64:ff9b:1::a9fe:a9fe",
    "64:ff9b:1::10.0.0.1",
    "64:ff9b:1:a9fe:a9:fe00::",  # /48 form: position of the IPv4 part is ambiguous
]


@pytest.mark.parametrize("literal", ALLOWED)
def test_globally_routable_addresses_are_allowed(literal: str) -> None:
    assert address_allowed(ipaddress.ip_address(literal)) is True


@pytest.mark.parametrize("literal", DENIED)
def test_special_purpose_and_embedded_private_addresses_are_denied(literal: str) -> None:
    assert address_allowed(ipaddress.ip_address(literal)) is False


@pytest.mark.parametrize(
    ("allow", "literal"),
    [
        (["127.0.0.1"], "127.0.0.1"),
        (["127.0.0.0/8"], "127.9.9.9"),
        (["10.0.0.0/8"], "::ffff:10.1.2.3"),  # the carried IPv4 is allowed
        (["10.0.0.0/8"], "2002:a00:1::"),
        (["100.64.0.0/10"], "100.100.100.200"),
        (["::1"], "::1"),
        (["fd00::/8"], "fd12::1"),
        (["[fe80::1]"], "fe80::1"),
    ],
)
def test_the_admin_allow_list_opens_ranges(allow: list[str], literal: str) -> None:
    address = ipaddress.ip_address(literal)
    assert OutboundPolicy(allow).address_allowed(address) is True
    assert OutboundPolicy([]).address_allowed(address) is False


def test_the_allow_list_opens_only_what_it_names() -> None:
    guard = OutboundPolicy(["127.0.0.1/32", "internal.example"])
    assert not guard.address_allowed(ipaddress.ip_address("127.0.0.2"))
    assert not guard.address_allowed(ipaddress.ip_address("10.0.0.1"))
    assert guard.host_allowed("Internal.Example.")
    assert not guard.host_allowed("other.example")


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "::1", "[::1]", "169.254.169.254", "::ffff:127.0.0.1", "2002:a9fe:a9fe::"],
)
async def test_resolve_refuses_literals_before_connecting(host: str) -> None:
    with pytest.raises(BlockedAddress, match="blocked"):
        await resolve_checked(host, 80, OutboundPolicy([]))


@pytest.mark.parametrize("host", ["localhost", "metadata.google.internal", "metadata"])
async def test_names_resolving_to_private_addresses_or_metadata_are_refused(host: str) -> None:
    with pytest.raises(BlockedAddress):
        await resolve_checked(host, 80, OutboundPolicy([]))


async def test_resolve_gives_the_checked_address() -> None:
    assert await resolve_checked("localhost", 80, OutboundPolicy(["127.0.0.1", "::1"])) in (
        "127.0.0.1",
        "::1",
    )

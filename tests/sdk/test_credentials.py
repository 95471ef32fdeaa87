"""Credentials go only where their integration allows, and never across a redirect to
another origin — with two real servers on 127.0.0.1 (different ports: different origins)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.sdk.servers import Served, local_server
from wirework.sdk.outbound import (
    AllowedHosts,
    CredentialAuth,
    CredentialHostRefused,
    IntegrationCredentials,
    OutboundClient,
    OutboundPolicy,
    normalize_host_pattern,
    set_policy,
)

SECRET = "s3cr3t-value-42"


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Served, Served]]:
    with local_server() as a, local_server() as b:
        yield a, b


@pytest.fixture
def servers(running: tuple[Served, Served]) -> Iterator[tuple[Served, Served]]:
    for served in running:
        served.requests.clear()
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        yield running
    finally:
        set_policy(None)


# Each way credentials can ride on a request: the fields, and where the secret shows up.
SHAPES: list[tuple[str, dict[str, Any]]] = [
    ("api_key default header", {"api_key": SECRET}),
    ("api_key named header", {"api_key": SECRET, "api_key_header": "X-Custom-Auth"}),
    ("api_key query", {"api_key": SECRET, "api_key_query": "key"}),
    ("bearer token", {"token": SECRET}),
    ("api_token", {"api_token": SECRET}),
    ("basic", {"username": "bot", "password": SECRET}),
    ("extra headers", {"headers": {"X-Tenant-Secret": SECRET}}),
    ("extra query", {"query": {"sig": SECRET}}),
]


def leaked(seen: dict[str, Any]) -> bool:
    import base64

    basic = base64.b64encode(f"bot:{SECRET}".encode()).decode()
    text = json.dumps([seen["headers"], seen["query"]])
    return SECRET in text or basic in text


async def fetch(
    url: str, creds: dict[str, Any], headers: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    auth = CredentialAuth.from_credentials(IntegrationCredentials(creds, **kw))
    async with OutboundClient() as client:
        response = await client.request("GET", url, headers=headers, credentials=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(("shape", "creds"), SHAPES, ids=[s for s, _ in SHAPES])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_credentials_are_dropped_on_a_cross_origin_redirect(
    servers: tuple[Served, Served], shape: str, creds: dict[str, Any], status: int
) -> None:
    a, b = servers
    target = quote(f"{b.url}/echo?plain=1", safe="")
    seen = await fetch(
        f"{a.url}/redirect?status={status}&to={target}",
        {**creds, "base_url": a.url},
        headers={"X-Trace": "t-1", "Cookie": "sid=abc", "Proxy-Authorization": "Basic eA=="},
        allowed_hosts=["*"],
    )
    first = a.requests[0]
    assert leaked({"headers": first.headers, "query": first.query}), "sent to the first host"
    assert seen["path"] == "/echo" and not leaked(seen), shape
    assert seen["headers"]["x-trace"] == "t-1"  # the request's own headers still go
    for name in ("cookie", "authorization", "proxy-authorization"):
        assert name not in seen["headers"], name
    assert ["plain", "1"] in seen["query"]


@pytest.mark.parametrize(("shape", "creds"), SHAPES, ids=[s for s, _ in SHAPES])
async def test_credentials_stay_on_a_same_origin_redirect(
    servers: tuple[Served, Served], shape: str, creds: dict[str, Any]
) -> None:
    a, _ = servers
    seen = await fetch(
        f"{a.url}/redirect?to=/echo", {**creds, "base_url": a.url}, allowed_hosts=None
    )
    if "query" in shape:  # a redirect's Location decides the next query, as in browsers
        assert not leaked(seen)
    else:
        assert leaked(seen), shape


async def test_credential_query_echoed_in_a_location_is_dropped(
    servers: tuple[Served, Served],
) -> None:
    a, b = servers
    target = quote(f"{b.url}/echo?key={SECRET}&sig={SECRET}&keep=1", safe="")
    seen = await fetch(
        f"{a.url}/redirect?to={target}",
        {"api_key": SECRET, "api_key_query": "key", "query": {"sig": SECRET}, "base_url": a.url},
    )
    assert seen["query"] == [["keep", "1"]]


async def test_a_host_the_integration_does_not_allow_gets_nothing(
    servers: tuple[Served, Served],
) -> None:
    a, b = servers
    creds = IntegrationCredentials(
        {"base_url": a.url, "api_key": SECRET}, integration_id=7, name="Acme CRM"
    )
    auth = CredentialAuth.from_credentials(creds)
    async with OutboundClient() as client:
        with pytest.raises(CredentialHostRefused) as caught:
            await client.request("GET", f"{b.url}/echo", credentials=auth)
        ok = await client.request("GET", f"{a.url}/echo", credentials=auth)
    message = str(caught.value)
    assert f"127.0.0.1:{b.port}" in message and "integration 7 ('Acme CRM')" in message
    assert "allowed_hosts" in message and SECRET not in message
    assert b.requests == []  # nothing was sent
    assert ok.json()["headers"]["x-api-key"] == SECRET


async def test_without_base_url_or_allowed_hosts_nothing_is_attached(
    servers: tuple[Served, Served],
) -> None:
    a, _ = servers
    auth = CredentialAuth.from_credentials({"token": SECRET}, integration_id=3)
    async with OutboundClient() as client:
        with pytest.raises(CredentialHostRefused, match=r"integration 3 .*set allowed_hosts"):
            await client.request("GET", f"{a.url}/echo", credentials=auth)
    assert a.requests == []
    empty = CredentialAuth.from_credentials(IntegrationCredentials({}, allowed_hosts=[]))
    async with OutboundClient() as client:
        with pytest.raises(CredentialHostRefused, match="allowed_hosts list is empty"):
            await client.request("GET", f"{a.url}/echo", credentials=empty)


@pytest.mark.parametrize(
    ("entry", "normal"),
    [
        ("*", "*"),
        ("API.Example.COM", "api.example.com"),
        ("api.example.com.", "api.example.com"),
        ("*.Example.com", "*.example.com"),
        ("api.example.com:8443", "api.example.com:8443"),
        ("10.0.0.5", "10.0.0.5"),
        ("10.0.0.5:80", "10.0.0.5:80"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("2001:db8::1", "[2001:db8::1]"),
        ("[::1]:8080", "[::1]:8080"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_host_patterns_are_normalized(entry: str, normal: str) -> None:
    assert normalize_host_pattern(entry) == normal


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "https://api.example.com",
        "api.example.com/path",
        "user@api.example.com",
        "api.*.com",
        "*example.com",
        "**",
        "*.10.0.0.1",
        "api.example.com:99999",
        "api.example.com:port",
        "a b.com",
        "-bad-.com",
        "x" * 64 + ".com",
    ],
)
def test_bad_host_patterns_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match=r"host|domain"):
        normalize_host_pattern(entry)


@pytest.mark.parametrize(
    ("patterns", "url", "allowed"),
    [
        (["*"], "https://anything.example/x", True),
        (["api.example.com"], "https://api.example.com/x", True),
        (["api.example.com"], "http://API.example.com:8080/x", True),  # no port: any port
        (["api.example.com"], "https://evil.example.com/x", False),
        (["api.example.com"], "https://api.example.com.evil.net/x", False),
        (["*.example.com"], "https://a.b.example.com/", True),
        (["*.example.com"], "https://example.com/", False),
        (["*.example.com"], "https://badexample.com/", False),
        (["api.example.com:8443"], "https://api.example.com:8443/", True),
        (["api.example.com:8443"], "https://api.example.com/", False),
        (["api.example.com:443"], "https://api.example.com/", True),  # the default port
        (["127.0.0.1"], "http://127.0.0.1:9/", True),
        (["[::1]"], "http://[::1]:9/", True),
        ([], "https://api.example.com/", False),
    ],
)
def test_allowed_hosts_match(patterns: list[str], url: str, allowed: bool) -> None:
    hosts = AllowedHosts.of(IntegrationCredentials({}, allowed_hosts=patterns))
    assert hosts.permits(httpx.URL(url)) is allowed


@pytest.mark.parametrize(
    ("creds", "url", "allowed"),
    [
        ({"base_url": "https://acme.atlassian.net"}, "https://acme.atlassian.net/rest", True),
        ({"base_url": "https://acme.atlassian.net"}, "https://evil.example/rest", False),
        ({"base_url": "http://127.0.0.1:8123/api"}, "http://127.0.0.1:8123/x", True),
        ({"base_url": "http://127.0.0.1:8123/api"}, "http://127.0.0.1:9999/x", False),
        ({"url": "https://hooks.example.com/T1"}, "https://hooks.example.com/T2", True),
        ({"token": "x"}, "https://api.example.com/", False),
        ({"base_url": "not a url"}, "https://api.example.com/", False),
    ],
)
def test_the_default_is_the_base_urls_host(creds: dict[str, Any], url: str, allowed: bool) -> None:
    assert AllowedHosts.of(creds).permits(httpx.URL(url)) is allowed


async def test_credential_query_parameters_are_never_logged(
    servers: tuple[Served, Served], caplog: pytest.LogCaptureFixture
) -> None:
    a, _ = servers
    caplog.set_level(logging.DEBUG)
    # The app holds httpx at warning (configure_logging); the filter must hold without that.
    caplog.set_level(logging.INFO, logger="httpx")
    seen = await fetch(
        f"{a.url}/echo", {"api_key": SECRET, "api_key_query": "key", "base_url": a.url}
    )
    assert ["key", SECRET] in seen["query"]
    assert "HTTP Request" in caplog.text and SECRET not in caplog.text

"""Response-size limits on every outbound client, against a real local server: a declared
Content-Length above the limit is refused before the body is read, a streamed body is cut
off at the limit, decompressed bytes count (gzip bombs), redirects' bodies too."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.sdk.servers import Served, local_server
from wirework.sdk.outbound import (
    OutboundClient,
    OutboundPolicy,
    ResponseTooLarge,
    guarded_client,
    policy,
    set_policy,
)

LIMIT = 256 * 1024


@pytest.fixture
def server() -> Iterator[Served]:
    set_policy(OutboundPolicy(["127.0.0.1/32"], max_response_bytes=LIMIT))
    try:
        with local_server() as served:
            yield served
    finally:
        set_policy(None)


async def test_a_body_within_the_limit_is_read(server: Served) -> None:
    async with OutboundClient() as client:
        response = await client.request("GET", f"{server.url}/big", query={"size": LIMIT})
    assert len(response.content) == LIMIT
    async with OutboundClient() as client:
        response = await client.request("GET", f"{server.url}/gzip", query={"size": LIMIT})
    assert response.content == b"\0" * LIMIT


async def test_a_declared_length_above_the_limit_is_refused_before_reading(
    server: Served,
) -> None:
    async with OutboundClient() as client:
        with pytest.raises(ResponseTooLarge) as caught:
            await client.request(
                "GET", f"{server.url}/declared", query={"length": str(10**12), "secret": "x"}
            )
    message = str(caught.value)
    assert str(LIMIT) in message and "Content-Length 1000000000000" in message
    assert "secret" not in message  # the query (which may hold credentials) is not shown


async def test_a_streamed_body_is_cut_off_at_the_limit(server: Served) -> None:
    total = 64 * 1024 * 1024
    async with OutboundClient(max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLarge, match=f"limit of {LIMIT} bytes"):
            await client.request(
                "GET", f"{server.url}/big", query={"size": total, "mode": "chunked"}
            )
    assert await asyncio.to_thread(server.done.wait, 30)
    assert server.bytes_sent < total  # the client stopped reading; the rest was never sent


async def test_a_body_longer_than_its_declared_length_still_stops_at_the_limit(
    server: Served,
) -> None:
    # The client's limit is above the declared size, the limit is enforced on what arrives.
    async with OutboundClient(max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLarge):
            await client.request(
                "GET", f"{server.url}/big", query={"size": LIMIT + 1, "mode": "chunked"}
            )


async def test_decompressed_bytes_count_gzip_bomb(server: Served) -> None:
    bomb = 64 * 1024 * 1024  # 64 MiB of zeros, ~64 KiB gzipped: within the limit on the wire
    async with OutboundClient(max_response_bytes=LIMIT) as client:
        with pytest.raises(ResponseTooLarge, match=str(LIMIT)):
            await client.request("GET", f"{server.url}/gzip", query={"size": bomb})


async def test_plain_guarded_client_is_limited_too(server: Served) -> None:
    async with guarded_client() as client:
        ok = await client.get(f"{server.url}/big", params={"size": LIMIT})
        assert len(ok.content) == LIMIT
        with pytest.raises(ResponseTooLarge):
            await client.get(f"{server.url}/big", params={"size": LIMIT + 1, "mode": "chunked"})
        with pytest.raises(ResponseTooLarge):
            await client.get(f"{server.url}/gzip", params={"size": 8 * LIMIT})
        async with client.stream(
            "GET", f"{server.url}/big", params={"size": 4 * LIMIT, "mode": "chunked"}
        ) as response:
            with pytest.raises(ResponseTooLarge):
                async for _ in response.aiter_bytes():
                    pass


async def test_redirect_bodies_are_limited_when_httpx_follows(server: Served) -> None:
    # httpx reads a redirect's body before following it: the limit applies there too.
    async with guarded_client(max_response_bytes=1024, follow_redirects=True) as client:
        with pytest.raises(ResponseTooLarge):
            await client.get(f"{server.url}/redirect", params={"to": "/echo", "body": "4096"})
        response = await client.get(f"{server.url}/redirect", params={"to": "/echo", "body": "9"})
        assert response.json()["path"] == "/echo"


def test_the_policy_reads_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIREWORK_HTTP_MAX_RESPONSE_BYTES", "2048")
    monkeypatch.setenv("WIREWORK_HTTP_MAX_RESPONSE_BYTES_CEILING", "1024")
    set_policy(None)
    try:
        assert policy().max_response_bytes == 2048
        assert policy().max_response_bytes_ceiling == 2048  # never below the default
    finally:
        set_policy(None)


async def test_gzip_within_the_limit_after_decompression_is_decoded(server: Served) -> None:
    async with OutboundClient(max_response_bytes=LIMIT) as client:
        response = await client.request("GET", f"{server.url}/gzip", query={"size": 1000})
    assert response.content == b"\0" * 1000
    assert response.headers["content-encoding"] == "gzip"

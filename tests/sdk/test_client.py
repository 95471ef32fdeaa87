"""The outbound client's redirects against a real local server: every hop passes the SSRF
guard (on the address it connects to), non-HTTP targets and endless loops are refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from tests.sdk.servers import Served, local_server
from wirework.sdk.outbound import BlockedAddress, OutboundClient, OutboundPolicy, set_policy


@pytest.fixture
def server() -> Iterator[Served]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        with local_server() as served:
            yield served
    finally:
        set_policy(None)


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/echo",
        "http://[::ffff:127.0.0.2]:{port}/echo",
        "http://[::1]:{port}/echo",
        "http://169.254.169.254/latest/meta-data",
        "http://[2002:a9fe:a9fe::1]/",
        "http://100.100.100.200/",
    ],
)
async def test_every_redirect_hop_passes_the_guard(server: Served, target: str) -> None:
    location = quote(target.format(port=server.port), safe="")
    async with OutboundClient(timeout=5) as client:
        ok = await client.request("GET", f"{server.url}/echo")  # the first hop is allowed
        assert ok.status_code == 200
        with pytest.raises(BlockedAddress, match="blocked"):
            await client.request("GET", f"{server.url}/redirect?to={location}")


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1/", "ftp://x/"])
async def test_redirects_to_other_schemes_are_refused(server: Served, target: str) -> None:
    async with OutboundClient() as client:
        with pytest.raises(httpx.UnsupportedProtocol):
            await client.request("GET", f"{server.url}/redirect?to={quote(target, safe='')}")


async def test_redirect_loops_end(server: Served) -> None:
    loop = f"/redirect?to={quote('/redirect?to=/redirect%3Fto%3D/echo', safe='')}"
    async with OutboundClient(max_redirects=1) as client:
        with pytest.raises(httpx.TooManyRedirects):
            await client.request("GET", f"{server.url}{loop}")
    async with OutboundClient(max_redirects=3) as client:
        assert (await client.request("GET", f"{server.url}{loop}")).json()["path"] == "/echo"


async def test_303_turns_a_post_into_a_get_without_body_307_keeps_both(server: Served) -> None:
    async with OutboundClient() as client:
        seen = (
            await client.request(
                "POST", f"{server.url}/redirect?status=303&to=/echo", json={"a": 1}
            )
        ).json()
        assert seen["method"] == "GET" and seen["body"] == ""
        assert "content-type" not in seen["headers"]
        seen = (
            await client.request(
                "POST", f"{server.url}/redirect?status=307&to=/echo", json={"a": 1}
            )
        ).json()
        assert seen["method"] == "POST" and seen["body"] == '{"a":1}'
        files = {"f": ("a.txt", b"hello", "text/plain")}
        seen = (
            await client.request("POST", f"{server.url}/redirect?status=308&to=/echo", files=files)
        ).json()
        assert seen["method"] == "POST" and "hello" in seen["body"]

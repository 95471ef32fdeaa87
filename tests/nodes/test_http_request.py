"""core.http_request against real local servers: the URL's own query is kept, response
bodies are capped (server default, node parameter, ceiling), an integration's credentials go
only to its allowed hosts and never across a redirect to another origin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.nodes.test_core_runs import out, run
from tests.sdk.servers import Served, local_server
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.sdk.outbound import IntegrationCredentials, OutboundPolicy, set_policy

SECRET = "k3y-for-the-api"
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Served, Served]]:
    with local_server() as a, local_server() as b:
        yield a, b


@pytest.fixture
def servers(running: tuple[Served, Served]) -> Iterator[tuple[Served, Served]]:
    for served in running:
        served.requests.clear()
    set_policy(
        OutboundPolicy(
            ["127.0.0.1/32"], max_response_bytes=LIMIT, max_response_bytes_ceiling=LIMIT * 4
        )
    )
    try:
        yield running
    finally:
        set_policy(None)


async def http(
    params: dict[str, Any], credentials: dict[str, Any] | None = None, **node: Any
) -> ExecutionRun:
    hooks = None
    if credentials is not None:

        async def lookup(integration_id: int) -> dict[str, Any]:
            return credentials

        hooks = Hooks(credentials=lookup)
    return await run(
        [{"id": "h", "type": "core.http_request", "params": params, **node}],
        [("in", "h")],
        hooks=hooks,
    )


def error(r: ExecutionRun) -> str:
    assert r.record.status == "error" and r.record.error is not None
    return str(r.record.error["message"])


# --------------------------------------------------------------------------- query


@pytest.mark.parametrize(
    ("url_query", "query", "expected"),
    [
        ("a=1&b=two", {}, [["a", "1"], ["b", "two"]]),
        ("a=1&b=two", {"c": 3}, [["a", "1"], ["b", "two"], ["c", "3"]]),
        ("a=1", {"a": 2}, [["a", "1"], ["a", "2"]]),
        ("a=1", {"l": [1, 2], "t": True}, [["a", "1"], ["l", "1"], ["l", "2"], ["t", "true"]]),
        ("", {"q": "x y"}, [["q", "x y"]]),
        ("flag", {}, [["flag", ""]]),
    ],
)
async def test_the_urls_own_query_is_kept_and_query_appended(
    servers: tuple[Served, Served], url_query: str, query: dict[str, Any], expected: list[Any]
) -> None:
    a, _ = servers
    url = f"{a.url}/echo" + (f"?{url_query}" if url_query else "")
    r = await http({"url": url, "query": query})
    assert out(r, "h")[0]["query"] == expected


async def test_the_urls_query_is_kept_with_a_relative_url_and_pagination(
    servers: tuple[Served, Served],
) -> None:
    a, _ = servers
    creds = {"base_url": a.url, "token": SECRET}
    r = await http({"url": "/echo?scope=all", "integration_id": 1, "query": {"n": 1}}, creds)
    assert out(r, "h")[0]["query"] == [["scope", "all"], ["n", "1"]]
    r = await http(
        {
            "url": f"{a.url}/echo?scope=all",
            "pagination": {"mode": "page", "param": "page", "max_pages": 2},
        }
    )
    assert [i["query"] for i in out(r, "h")] == [
        [["scope", "all"], ["page", "1"]],
        [["scope", "all"], ["page", "2"]],
    ]


# --------------------------------------------------------------------------- response caps


@pytest.mark.parametrize("response", ["json", "text", "binary"])
async def test_a_response_over_the_servers_limit_fails_the_step(
    servers: tuple[Served, Served], response: str
) -> None:
    a, _ = servers
    for mode in ("length", "chunked"):
        r = await http(
            {"url": f"{a.url}/big?size={LIMIT + 1}&mode={mode}", "response": response},
            retry={"max_attempts": 3, "backoff_s": 0.001},
        )
        message = error(r)
        assert f"limit of {LIMIT} bytes" in message and "max_response_bytes" in message
        assert r.attempts["h"] == 1  # retrying cannot help
    r = await http({"url": f"{a.url}/big?size={LIMIT}", "response": "binary"})
    assert out(r, "h")[0]["size"] == LIMIT


async def test_a_gzip_bomb_fails_the_step(servers: tuple[Served, Served]) -> None:
    a, _ = servers
    r = await http({"url": f"{a.url}/gzip?size={16 * 1024 * 1024}", "response": "text"})
    assert f"limit of {LIMIT} bytes" in error(r)


async def test_max_response_bytes_lowers_or_raises_the_limit_up_to_the_ceiling(
    servers: tuple[Served, Served],
) -> None:
    a, _ = servers
    r = await http(
        {"url": f"{a.url}/big?size=2048", "response": "text", "max_response_bytes": 1024}
    )
    assert "limit of 1024 bytes" in error(r)
    r = await http(
        {
            "url": f"{a.url}/big?size={LIMIT * 2}",
            "response": "text",
            "max_response_bytes": LIMIT * 2,
        }
    )
    assert len(out(r, "h")[0]["body"]) == LIMIT * 2
    a.requests.clear()
    r = await http({"url": f"{a.url}/echo", "max_response_bytes": LIMIT * 4 + 1})
    message = error(r)
    assert "params.max_response_bytes" in message and str(LIMIT * 4) in message
    assert "WIREWORK_HTTP_MAX_RESPONSE_BYTES_CEILING" in message
    assert a.requests == []  # refused before sending


# --------------------------------------------------------------------------- credentials


async def test_credentials_go_only_to_the_integrations_hosts(
    servers: tuple[Served, Served],
) -> None:
    a, b = servers
    creds = IntegrationCredentials(
        {"base_url": a.url, "api_key": SECRET}, integration_id=9, name="Payments API"
    )
    r = await http({"url": f"{b.url}/echo", "integration_id": 9}, creds)
    message = error(r)
    assert f"127.0.0.1:{b.port}" in message and "integration 9 ('Payments API')" in message
    assert "allowed_hosts" in message
    assert b.requests == []  # nothing was sent
    r = await http({"url": "/echo", "integration_id": 9}, creds)
    assert a.requests[-1].headers["x-api-key"] == SECRET
    assert out(r, "h")[0]["headers"]["x-api-key"] == "********"  # echoed back: redacted

    wider = IntegrationCredentials(
        {"base_url": a.url, "api_key": SECRET}, integration_id=9, allowed_hosts=["127.0.0.1"]
    )
    r = await http({"url": f"{b.url}/echo", "integration_id": 9}, wider)
    assert b.requests[-1].headers["x-api-key"] == SECRET


async def test_an_integration_without_base_url_or_allowed_hosts_sends_nothing(
    servers: tuple[Served, Served],
) -> None:
    a, _ = servers
    r = await http({"url": f"{a.url}/echo", "integration_id": 5}, {"token": SECRET})
    message = error(r)
    assert "integration 5" in message and "set allowed_hosts" in message
    assert a.requests == []
    anywhere = IntegrationCredentials({"token": SECRET}, integration_id=5, allowed_hosts=["*"])
    r = await http({"url": f"{a.url}/echo", "integration_id": 5}, anywhere)
    assert a.requests[-1].headers["authorization"] == f"Bearer {SECRET}"


async def test_credentials_are_not_followed_to_another_origin(
    servers: tuple[Served, Served],
) -> None:
    a, b = servers
    creds = IntegrationCredentials(
        {
            "base_url": a.url,
            "api_key": SECRET,
            "headers": {"X-Org-Secret": SECRET},
            "query": {"sig": SECRET},
        },
        integration_id=2,
    )
    target = quote(f"{b.url}/echo?sig={SECRET}&page=2", safe="")
    r = await http(
        {"url": f"/redirect?to={target}", "integration_id": 2, "headers": {"X-Trace": "1"}},
        creds,
    )
    seen = out(r, "h")[0]
    assert seen["query"] == [["page", "2"]] and seen["headers"]["x-trace"] == "1"
    (hop,) = b.requests  # what the other origin really received
    assert SECRET not in str(hop.headers) and SECRET not in str(hop.query)
    assert a.requests[0].headers["x-api-key"] == SECRET  # the allowed host got them


async def test_follow_redirects_false_returns_the_redirect(servers: tuple[Served, Served]) -> None:
    a, b = servers
    r = await http(
        {
            "url": f"{a.url}/redirect?to={quote(b.url + '/echo', safe='')}",
            "follow_redirects": False,
            "response": "text",
        }
    )
    assert out(r, "h")[0]["status"] == 302 and b.requests == []

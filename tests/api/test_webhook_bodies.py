"""Hostile request bodies: whatever a client sends to a webhook or an /api route, the answer is
a 4xx naming the problem, nothing runs or is written, and the log holds no traceback.

The corpus covers JSON the standard parser accepts but nothing after it can hold (NaN,
Infinity, 1e999, lone surrogates), JSON that crashes recursive parsers (deep nesting, closed
or not), numbers too long to convert, bytes that are not UTF-8, and malformed or oversized
form, multipart and text bodies, plus wrong content types."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from wirework.api.bodies import MAX_JSON_DEPTH, BadJson, nested_deeper_than, parse_json

JSON = {"content-type": "application/json"}


def deep_array(depth: int, closed: bool = True) -> bytes:
    return b"[" * depth + (b"]" * depth if closed else b"")


def deep_object(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# Bodies sent as application/json that must be refused.
BAD_JSON: dict[str, bytes] = {
    "nan": b'{"a": NaN}',
    "infinity": b'{"a": Infinity}',
    "minus infinity": b"[-Infinity]",
    "overflowing float": b'{"a": 1e999}',
    "overflowing negative float": b'{"a": [-1e400]}',
    "huge integer": b'{"a": ' + b"9" * 5000 + b"}",
    "long integer": b"[" + b"1" * 101 + b"]",
    "array 1,000 deep": deep_array(1000),
    "object 1,000 deep": deep_object(1000),
    "array 100,000 deep, unclosed": deep_array(100_000, closed=False),
    "one level too deep": deep_array(MAX_JSON_DEPTH + 1),
    "deep under escaped quotes": b'{"a": "\\"\\\\", "b": ' + deep_array(500) + b"}",
    "lone high surrogate": b'{"a": "\\ud800"}',
    "lone low surrogate": b'["x\\udc00y"]',
    "surrogate in a key": b'{"\\udbff": 1}',
    "reversed surrogate pair": b'"\\udc00\\ud800"',
    "invalid UTF-8": b'{"a": "\xff\xfe"}',
    "UTF-8 encoded surrogate": b'{"a": "\xed\xa0\x80"}',
    "latin-1 text": '{"a": "café"}'.encode("latin-1"),
    "truncated": b'{"a": [1, 2',
    "trailing garbage": b'{"a": 1} x',
    "raw control character": b'{"a": "x\x00y"}',
    "not JSON at all": b"<xml/>",
}

# Bodies that are fine and must keep working.
GOOD_JSON: dict[str, tuple[bytes, Any]] = {
    "surrogate pair": (b'{"e": "\\ud83d\\ude00"}', {"e": "\U0001f600"}),
    "escaped backslash before u": (b'{"e": "\\\\ud800"}', {"e": "\\ud800"}),
    "exactly the depth limit": (deep_array(MAX_JSON_DEPTH), None),
    "brackets inside strings": (b'{"e": "' + b"[" * 500 + b'"}', {"e": "[" * 500}),
    "escaped NUL": (b'{"e": "a\\u0000b"}', {"e": "a\x00b"}),
    "big but finite": (b'{"e": [1e308, -1e308, 18446744073709551616]}', None),
}


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert record.levelno < logging.ERROR, record.getMessage()
        assert "Traceback" not in record.getMessage()


def _assert_refused(resp: httpx.Response, what: str) -> dict[str, Any]:
    assert 400 <= resp.status_code < 500, (what, resp.status_code, resp.text)
    body = resp.json()
    assert set(body) == {"detail", "code", "errors"}, (what, body)
    assert "Traceback" not in resp.text and 'File "' not in resp.text, what
    return dict(body)


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize("name", sorted(BAD_JSON))
def test_parse_json_refuses(name: str) -> None:
    with pytest.raises(BadJson):
        parse_json(BAD_JSON[name])


@pytest.mark.parametrize("name", sorted(GOOD_JSON))
def test_parse_json_accepts(name: str) -> None:
    raw, expected = GOOD_JSON[name]
    value = parse_json(raw)
    if expected is not None:
        assert value == expected


def test_depth_is_found_without_parsing() -> None:
    limit = MAX_JSON_DEPTH
    assert not nested_deeper_than(deep_array(limit), limit)
    assert nested_deeper_than(deep_array(limit + 1), limit)
    assert not nested_deeper_than(deep_object(limit), limit)
    assert nested_deeper_than(deep_object(limit + 1), limit)
    # Brackets in strings (with escaped quotes and backslashes) do not count.
    tricky = b'["\\"' + b"[" * 200 + b'", "\\\\", ' + deep_array(10) + b"]"
    assert not nested_deeper_than(tricky, limit)
    assert nested_deeper_than(b'["\\\\", ' + deep_array(limit) + b"]", limit)
    # Wide is not deep.
    assert not nested_deeper_than(b"[" + b"[1]," * 10_000 + b"[]]", limit)


# --------------------------------------------------------------------------- webhooks


async def _echo_hook(client: httpx.AsyncClient) -> int:
    doc = {
        "name": "echo",
        "nodes": [
            {
                "id": "hook",
                "type": "core.webhook",
                "params": {"path": "echo", "method": "POST", "respond": "last_node"},
            }
        ],
        "connections": [],
        "active": True,
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def _runs(client: httpx.AsyncClient, workflow_id: int) -> int:
    resp = await client.get(f"/api/workflows/{workflow_id}/executions")
    return len(resp.json()["items"])


MULTIPART = "multipart/form-data; boundary=XyZ"
# (content type, body) pairs other than JSON that must be refused by a webhook.
BAD_OTHER: dict[str, tuple[str, bytes]] = {
    "text that is not UTF-8": ("text/plain", b"caf\xe9 \xff"),
    "xml that is not UTF-8": ("application/xml", b"<a>\xff</a>"),
    "multipart without boundary": ("multipart/form-data", b"--x\r\n\r\n"),
    "multipart truncated": (MULTIPART, b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n'),
    "multipart garbage": (MULTIPART, b"\x00\x01\x02 not multipart"),
    "multipart too many files": (
        MULTIPART,
        b"".join(
            b'--XyZ\r\nContent-Disposition: form-data; name="f"; filename="f%d"\r\n\r\nx\r\n' % i
            for i in range(101)
        )
        + b"--XyZ--\r\n",
    ),
    "form with too many fields": (
        "application/x-www-form-urlencoded",
        b"&".join(b"k%d=v" % i for i in range(1001)),
    ),
}


async def test_webhook_refuses_hostile_bodies(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    workflow_id = await _echo_hook(client)
    caplog.clear()
    caplog.set_level(logging.INFO)
    cases = [(f"json: {name}", "application/json", body) for name, body in BAD_JSON.items()]
    cases += [(f"+json: {name}", "application/vnd.api+json", b) for name, b in BAD_JSON.items()]
    cases += [(name, ctype, body) for name, (ctype, body) in BAD_OTHER.items()]
    for what, ctype, body in cases:
        resp = await client.post("/webhook/echo", content=body, headers={"content-type": ctype})
        answer = _assert_refused(resp, what)
        assert answer["code"] == "bad_webhook_body", (what, answer)
        assert answer["errors"][0]["field"] == "body", (what, answer)
    assert await _runs(client, workflow_id) == 0  # nothing ran
    _no_traceback(caplog)


async def test_webhook_accepts_what_is_fine(client: httpx.AsyncClient) -> None:
    await _echo_hook(client)
    for what, (raw, expected) in GOOD_JSON.items():
        resp = await client.post("/webhook/echo", content=raw, headers=JSON)
        assert resp.status_code == 200, (what, resp.text)
        if expected is not None:
            assert resp.json()["body"] == expected, what
    form = await client.post(
        "/webhook/echo",
        content=b"a=%ED%A0%80&b=%FF&c=caf%C3%A9",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 200, form.text
    assert form.json()["body"]["c"] == "café"  # undecodable escapes become U+FFFD
    multipart = await client.post("/webhook/echo", files={"f": ("a.bin", b"\xff\x00")})
    assert multipart.status_code == 200, multipart.text
    assert multipart.json()["body"]["f"]["data"] == "/wA="


async def test_waiting_resume_refuses_hostile_bodies(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from wirework.services.webhooks import resume_token

    doc = {
        "name": "approval",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "approve", "type": "core.wait", "params": {"resume": "webhook"}},
        ],
        "connections": [{"from": "start", "to": "approve"}],
    }
    wf = (await client.post("/api/workflows", json=doc)).json()["id"]
    rec = (await client.post(f"/api/workflows/{wf}/execute?wait=true", json={})).json()
    assert rec["status"] == "waiting"
    runtime = client._transport.app.state.runtime  # type: ignore[attr-defined]
    url = f"/webhook-waiting/{rec['id']}?token={resume_token(runtime.signing_key, rec['id'])}"
    caplog.clear()
    for name, body in BAD_JSON.items():
        _assert_refused(await client.post(url, content=body, headers=JSON), name)
    still = (await client.get(f"/api/executions/{rec['id']}")).json()
    assert still["status"] == "waiting"
    _no_traceback(caplog)


# --------------------------------------------------------------------------- the API


async def test_api_refuses_hostile_json_bodies(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    doc = {
        "name": "manual",
        "nodes": [{"id": "start", "type": "core.manual"}],
        "connections": [],
    }
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    wf = resp.json()["id"]
    routes = [
        ("POST", "/api/workflows"),
        ("PUT", f"/api/workflows/{wf}"),
        ("PATCH", f"/api/workflows/{wf}"),
        ("POST", "/api/workflows/validate"),
        ("POST", f"/api/workflows/{wf}/execute"),
        ("POST", f"/api/workflows/{wf}/nodes/start/test"),
        ("POST", "/api/integration-types"),
        ("POST", "/api/integrations"),
        ("POST", "/api/integrations/test"),
        ("POST", "/api/users"),
        ("POST", "/api/api-keys"),
        ("POST", "/api/auth/login"),
    ]
    caplog.clear()
    caplog.set_level(logging.INFO)
    for method, path in routes:
        for name, body in BAD_JSON.items():
            resp = await client.request(method, path, content=body, headers=JSON)
            _assert_refused(resp, f"{method} {path}: {name}")
    # Inputs that reach a route as JSON but hold what the store cannot.
    for name, value in {
        "surrogate input": b'{"input": {"a": "\\ud800"}}',
        "nan input": b'{"input": {"a": NaN}}',
    }.items():
        resp = await client.post(f"/api/workflows/{wf}/execute", content=value, headers=JSON)
        _assert_refused(resp, name)
    listed = (await client.get("/api/workflows")).json()
    assert [w["id"] for w in listed["items"]] == [wf]  # nothing was created
    assert len((await client.get("/api/executions")).json()["items"]) == 0
    _no_traceback(caplog)


async def test_api_refuses_wrong_content_types_and_documents(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.clear()
    caplog.set_level(logging.INFO)
    bodies: list[tuple[str, str, bytes]] = [
        ("/api/workflows", "text/plain", b'{"name": "x", "nodes": []}'),
        ("/api/workflows", "application/x-www-form-urlencoded", b"name=x&nodes=1"),
        ("/api/workflows", MULTIPART, b"--XyZ\r\n\r\n"),
        ("/api/workflows", "application/octet-stream", b"\xff\xfe\x00"),
        ("/api/workflows/import", "application/yaml", b"name: [" * 2000),
        ("/api/workflows/import", "application/yaml", b'name: "\\ud800"\nnodes: []\n'),
        ("/api/workflows/import", "application/yaml", b"name: \xff\n"),
        ("/api/workflows/import?format=json", "text/plain", b'{"name": "\\ud800", "nodes": []}'),
        ("/api/workflows/import?format=json", "text/plain", b'{"name": "x", "n": NaN}'),
        ("/api/workflows/import?format=json", "text/plain", deep_array(5000)),
        ("/api/workflows/import", "image/png", b"\x89PNG"),
    ]
    for path, ctype, body in bodies:
        resp = await client.post(path, content=body, headers={"content-type": ctype})
        _assert_refused(resp, f"{path} as {ctype}: {body[:30]!r}")
    assert (await client.get("/api/workflows")).json()["items"] == []
    _no_traceback(caplog)

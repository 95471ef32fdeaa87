"""Every core node, run by the real engine (memory store: these are node semantics; the
executor's durability is tested on every database in tests/engine).

The flow nodes' graph semantics (if/switch/filter routing, merge modes, stop-and-error,
parallel waits) run in both engine modes instead (``engine`` fixture,
tests/engine/engines.py: embedded on every database, distributed on Redis and RabbitMQ).
The rest stay on the memory store: node semantics given by hooks of this process
(credentials, sub-workflow calls) or by local servers, and single-node checks."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.engine.engines import Engine, Run
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.outbound import OutboundPolicy, set_policy


async def run(
    nodes: list[dict[str, Any]],
    connections: list[tuple[str, ...]],
    items: list[dict[str, Any]] | None = None,
    hooks: Hooks | None = None,
) -> ExecutionRun:
    conns = []
    for c in connections:
        conn: dict[str, Any] = {"from": c[0], "to": c[1]}
        if len(c) > 2 and c[2]:
            conn["from_output"] = c[2]
        if len(c) > 3:
            conn["to_input"] = c[3]
        conns.append(conn)
    doc = {
        "name": "t",
        "nodes": [{"id": "in", "type": "core.manual"}, *nodes],
        "connections": conns,
    }
    runner = Runner(MemoryStore(), hooks=hooks)
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    return started.run


async def run_in(
    engine: Engine,
    nodes: list[dict[str, Any]],
    connections: list[tuple[str, ...]],
    items: list[dict[str, Any]] | None = None,
) -> Run:
    """``run``, by the ``engine`` of either mode (saved as a workflow, read from the store)."""
    conns = []
    for c in connections:
        conn: dict[str, Any] = {"from": c[0], "to": c[1]}
        if len(c) > 2 and c[2]:
            conn["from_output"] = c[2]
        if len(c) > 3:
            conn["to_input"] = c[3]
        conns.append(conn)
    nodes = [{"id": "in", "type": "core.manual"}, *nodes]
    return await engine.run({"name": "t", "nodes": nodes, "connections": conns}, items)


def out(r: ExecutionRun | Run, node: str, port: str = "main") -> list[dict[str, Any]]:
    if isinstance(r, Run):
        assert r.status in ("success", "waiting"), r.error
    else:
        assert r.record.status in ("success", "waiting"), r.record.error
    return r.outputs.get(node, {}).get(port, [])


async def test_set_fields_dotted_paths_and_keep_input() -> None:
    r = await run(
        [
            {
                "id": "s",
                "type": "core.set",
                "params": {"fields": {"a.b": "{{ json.x + 1 }}", "c": "k"}},
            },
            {
                "id": "only",
                "type": "core.set",
                "params": {"fields": {"y": "{{ json.x }}"}, "keep_input": False},
            },
        ],
        [("in", "s"), ("in", "only")],
        [{"x": 1, "a": {"z": 0}}],
    )
    assert out(r, "s") == [{"x": 1, "a": {"z": 0, "b": 2}, "c": "k"}]
    assert out(r, "only") == [{"y": 1}]
    assert r.outputs["in"]["main"] == [{"x": 1, "a": {"z": 0}}]  # input items are never mutated


async def test_if_switch_filter(engine: Engine) -> None:
    items = [{"n": 1}, {"n": 5}, {"n": 10}]
    r = await run_in(
        engine,
        [
            {"id": "if", "type": "core.if", "params": {"condition": "{{ json.n > 3 }}"}},
            {"id": "f", "type": "core.filter", "params": {"condition": "{{ json.n != 5 }}"}},
            {
                "id": "sw",
                "type": "core.switch",
                "params": {
                    "rules": [
                        {"output": "small", "condition": "{{ json.n < 3 }}"},
                        {"output": "even", "condition": "{{ json.n % 2 == 0 }}"},
                    ],
                    "fallback": "other",
                },
            },
            {
                "id": "all",
                "type": "core.switch",
                "params": {
                    "mode": "all",
                    "rules": [
                        {"output": "big", "condition": "{{ json.n > 4 }}"},
                        {"output": "even", "condition": "{{ json.n % 2 == 0 }}"},
                    ],
                },
            },
        ],
        [("in", "if"), ("in", "f"), ("in", "sw"), ("in", "all")],
        items,
    )
    assert out(r, "if", "true") == [{"n": 5}, {"n": 10}]
    assert out(r, "if", "false") == [{"n": 1}]
    assert out(r, "f") == [{"n": 1}, {"n": 10}]
    assert out(r, "sw", "small") == [{"n": 1}]
    assert out(r, "sw", "even") == [{"n": 10}]
    assert out(r, "sw", "other") == [{"n": 5}]
    assert out(r, "all", "big") == [{"n": 5}, {"n": 10}] and out(r, "all", "even") == [{"n": 10}]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"mode": "append"},
            [{"id": 1, "a": 1}, {"id": 2, "a": 2}, {"id": 2, "b": "x"}, {"id": 3, "b": "y"}],
        ),
        ({"mode": "by_position"}, [{"id": 2, "a": 1, "b": "x"}, {"id": 3, "a": 2, "b": "y"}]),
        ({"mode": "by_key", "key": "id"}, [{"id": 2, "a": 2, "b": "x"}]),
        (
            {"mode": "by_key", "key": "id", "join": "left"},
            [{"id": 1, "a": 1}, {"id": 2, "a": 2, "b": "x"}],
        ),
        (
            {"mode": "by_key", "key": "id", "join": "outer"},
            [{"id": 1, "a": 1}, {"id": 2, "a": 2, "b": "x"}, {"id": 3, "b": "y"}],
        ),
        ({"mode": "wait_all"}, [{"id": 1, "a": 1}, {"id": 2, "a": 2}]),
    ],
)
async def test_merge_modes(
    engine: Engine, params: dict[str, Any], expected: list[dict[str, Any]]
) -> None:
    r = await run_in(
        engine,
        [
            {
                "id": "left",
                "type": "core.set",
                "params": {
                    "fields": {"id": "{{ json.i }}", "a": "{{ json.i }}"},
                    "keep_input": False,
                },
            },
            {
                "id": "right",
                "type": "core.code",
                "params": {"code": "return [{'id': 2, 'b': 'x'}, {'id': 3, 'b': 'y'}]"},
            },
            {"id": "m", "type": "core.merge", "params": params},
        ],
        [("in", "left"), ("in", "right"), ("left", "m", "", "in1"), ("right", "m", "", "in2")],
        [{"i": 1}, {"i": 2}],
    )
    assert out(r, "m") == expected


async def test_transform_operations() -> None:
    items = [
        {"team": "a", "n": 3, "tags": ["x", "y"]},
        {"team": "b", "n": 1, "tags": []},
        {"team": "a", "n": 2, "tags": ["z"]},
        {"team": "b", "n": 1, "tags": ["x"]},
    ]

    async def transform(params: dict[str, Any]) -> list[dict[str, Any]]:
        r = await run(
            [{"id": "t", "type": "core.transform", "params": params}], [("in", "t")], items
        )
        return out(r, "t")

    assert [
        i["n"]
        for i in await transform(
            {"operation": "sort", "sort_by": [{"field": "team"}, {"field": "n", "order": "desc"}]}
        )
    ] == [3, 2, 1, 1]
    assert await transform({"operation": "limit", "max_items": 1, "from_end": True}) == [items[-1]]
    assert await transform(
        {
            "operation": "aggregate",
            "group_by": ["team"],
            "aggregations": [{"op": "sum", "field": "n"}, {"op": "count", "into": "items"}],
        }
    ) == [{"team": "a", "sum_n": 5, "items": 2}, {"team": "b", "sum_n": 2, "items": 2}]
    assert await transform({"operation": "split_out", "field": "tags"}) == [
        {"tags": t} for t in ["x", "y", "z", "x"]
    ]
    assert (
        len(await transform({"operation": "split_out", "field": "tags", "keep_other_fields": True}))
        == 4
    )
    assert await transform({"operation": "dedupe", "dedupe_by": ["team", "n"]}) == items[:3]
    assert (await transform({"operation": "rename", "rename": {"n": "count"}}))[0] == {
        "team": "a",
        "count": 3,
        "tags": ["x", "y"],
    }


async def test_code_once_and_per_item_and_its_errors() -> None:
    r = await run(
        [
            {
                "id": "once",
                "type": "core.code",
                "params": {"code": "return [{'total': sum(i['n'] for i in items)}]"},
            },
            {
                "id": "each",
                "type": "core.code",
                "params": {"mode": "per_item", "code": "return {'sq': item['n'] ** 2}"},
            },
            {
                "id": "raw",
                "type": "core.code",
                "params": {"code": "return {'s': '{{ not an expression }}'}"},
            },
        ],
        [("in", "once"), ("in", "each"), ("in", "raw")],
        [{"n": 2}, {"n": 3}],
    )
    assert out(r, "once") == [{"total": 5}]
    assert out(r, "each") == [{"sq": 4}, {"sq": 9}]
    assert out(r, "raw") == [{"s": "{{ not an expression }}"}]  # code is never an expression

    r = await run(
        [
            {
                "id": "boom",
                "type": "core.code",
                "params": {"code": "x = 1\nraise ValueError('bad ' + str(x))"},
            }
        ],
        [("in", "boom")],
    )
    assert r.record.status == "error" and r.record.error is not None
    message = r.record.error["message"]
    assert "ValueError: bad 1" in message and "line 2" in message and "sandbox" not in message


async def test_stop_error(engine: Engine) -> None:
    r = await run_in(
        engine,
        [{"id": "stop", "type": "core.stop_error", "params": {"message": "bad {{ json.n }}"}}],
        [("in", "stop")],
        [{"n": 7}],
    )
    assert r.status == "error" and r.error == {
        "message": "bad 7",
        "type": "stop",
        "node_id": "stop",
    }


async def test_noop_and_respond() -> None:
    runner = Runner(MemoryStore())
    doc = {
        "name": "r",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {"id": "nop", "type": "core.noop"},
            {
                "id": "resp",
                "type": "core.respond",
                "params": {"status": 202, "body": {"n": "{{ json.n }}"}},
            },
        ],
        "connections": [{"from": "in", "to": "nop"}, {"from": "nop", "to": "resp"}],
    }
    started = await runner.execute(compile_graph(doc), input_items=[{"n": 1}], respond=True)
    assert started.run.response is not None
    answer = await started.run.response
    assert (answer.status, answer.body) == (202, {"n": 1})


async def test_wait_inline_until_and_subworkflow_hook() -> None:
    r = await run(
        [{"id": "w", "type": "core.wait", "params": {"seconds": 0.01}}], [("in", "w")], [{"k": 1}]
    )
    assert out(r, "w") == [{"k": 1}]
    r = await run(
        [{"id": "w", "type": "core.wait", "params": {"until": "2000-01-01T00:00:00Z"}}],
        [("in", "w")],
    )
    assert r.record.status == "success"

    calls: list[tuple[int, list[dict[str, Any]], bool]] = []

    async def run_workflow(
        run_: ExecutionRun, node_id: str, wf: int, items: list[dict[str, Any]], wait: bool
    ) -> list[dict[str, Any]] | None:
        calls.append((wf, items, wait))
        return [{"child": i.get("n")} for i in items] if wait else None

    r = await run(
        [
            {"id": "sub", "type": "core.subworkflow", "params": {"workflow_id": 9}},
            {
                "id": "each",
                "type": "core.subworkflow",
                "params": {
                    "workflow_id": 9,
                    "mode": "per_item",
                    "input": {"n": "{{ json.n * 10 }}"},
                },
            },
            {"id": "fire", "type": "core.subworkflow", "params": {"workflow_id": 9, "wait": False}},
        ],
        [("in", "sub"), ("in", "each"), ("in", "fire")],
        [{"n": 1}, {"n": 2}],
        hooks=Hooks(run_workflow=run_workflow),
    )
    assert out(r, "sub") == [{"child": 1}, {"child": 2}]
    assert out(r, "each") == [{"child": 10}, {"child": 20}]
    assert out(r, "fire") == [{"n": 1}, {"n": 2}]  # fire and forget passes its input on
    assert sorted(c[2] for c in calls) == [False, True, True, True]


async def test_unimplemented_integration_action_fails_clearly() -> None:
    r = await run(
        [{"id": "j", "type": "tracker.create_issue", "params": {"summary": "x"}}], [("in", "j")]
    )
    assert r.record.status == "error" and r.record.error is not None
    assert "tracker.create_issue" in r.record.error["message"]


# --------------------------------------------------------------------------- http_request


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        port = self.server.server_address[1]
        if url.path == "/echo":
            self._send(
                200,
                {
                    "method": self.command,
                    "query": query,
                    "body": body,
                    "auth": self.headers.get("authorization"),
                    "auth_sha256": hashlib.sha256(
                        (self.headers.get("authorization") or "").encode()
                    ).hexdigest(),
                    "ctype": self.headers.get("content-type"),
                },
            )
        elif url.path == "/pages":
            page = int(query.get("page", "1"))
            self._send(200, {"data": [{"p": page, "i": i} for i in range(2)] if page <= 3 else []})
        elif url.path == "/cursor":
            cur = int(query.get("cursor", "0"))
            self._send(200, {"items": [{"c": cur}], "next": str(cur + 1) if cur < 2 else None})
        elif url.path == "/linked":
            n = int(query.get("n", "0"))
            link = (
                {"link": f'<http://127.0.0.1:{port}/linked?n={n + 1}>; rel="next"'} if n < 2 else {}
            )
            self._send(200, [{"n": n}], link)
        elif url.path == "/fail":
            self._send(503, {"error": "down"})
        elif url.path == "/to-other-loopback":
            self.send_response(302)
            self.send_header("location", f"http://127.0.0.2:{port}/echo")
            self.send_header("content-length", "0")
            self.end_headers()
        else:
            self._send(404, {"error": "nope"})

    do_GET = do_POST = _handle


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        set_policy(None)
        server.shutdown()


async def http(
    params: dict[str, Any], items: list[dict[str, Any]] | None = None, **kw: Any
) -> ExecutionRun:
    return await run(
        [{"id": "h", "type": "core.http_request", "params": params, **kw}],
        [("in", "h")],
        items,
        hooks=kw.pop("hooks", None),
    )


async def test_http_request_json_body_query_and_per_item(http_server: str) -> None:
    r = await http(
        {
            "method": "POST",
            "url": f"{http_server}/echo",
            "query": {"q": "{{ json.n }}"},
            "body": {"n": "{{ json.n }}"},
        },
        [{"n": 1}, {"n": 2}],
    )
    (a, b) = out(r, "h")
    assert a["method"] == "POST" and a["query"] == {"q": "1"} and json.loads(a["body"]) == {"n": 1}
    assert b["query"] == {"q": "2"} and a["ctype"] == "application/json"
    r = await http(
        {"method": "POST", "url": f"{http_server}/echo", "body": {"k": "v"}, "body_type": "form"}
    )
    assert out(r, "h")[0]["body"] == "k=v"


async def test_http_request_auth_from_integration(http_server: str) -> None:
    async def credentials(integration_id: int) -> dict[str, Any]:
        return {"base_url": http_server, "api_token": "tok-123"}

    r = await run(
        [{"id": "h", "type": "core.http_request", "params": {"url": "/echo", "integration_id": 4}}],
        [("in", "h")],
        hooks=Hooks(credentials=credentials),
    )
    # The server got the token; echoed back, it is redacted from the step's output.
    (echo,) = out(r, "h")
    assert echo["auth_sha256"] == hashlib.sha256(b"Bearer tok-123").hexdigest()
    assert echo["auth"] == "Bearer ********"


async def test_http_request_api_key_in_the_query(http_server: str) -> None:
    async def credentials(integration_id: int) -> dict[str, Any]:
        return {"base_url": http_server, "api_key": "k3y value+/", "api_key_query": "key"}

    r = await run(
        [
            {
                "id": "h",
                "type": "core.http_request",
                "params": {"url": "/echo", "integration_id": 4, "query": {"q": "1"}},
            }
        ],
        [("in", "h")],
        hooks=Hooks(credentials=credentials),
    )
    (echo,) = out(r, "h")
    # Sent as ?key=… (and not as a header); echoed back, it is redacted.
    assert echo["query"] == {"q": "1", "key": "********"}
    assert echo["auth"] is None


async def test_http_request_pagination_modes(http_server: str) -> None:
    r = await http(
        {
            "url": f"{http_server}/pages",
            "pagination": {"mode": "page", "param": "page", "items_field": "data"},
        }
    )
    assert [(i["p"], i["i"]) for i in out(r, "h")] == [(p, i) for p in (1, 2, 3) for i in (0, 1)]
    r = await http(
        {
            "url": f"{http_server}/cursor",
            "pagination": {
                "mode": "cursor",
                "param": "cursor",
                "next_field": "next",
                "items_field": "items",
            },
        }
    )
    assert [i["c"] for i in out(r, "h")] == [0, 1, 2]
    r = await http({"url": f"{http_server}/linked", "pagination": {"mode": "next_url"}})
    assert [i["n"] for i in out(r, "h")] == [0, 1, 2]


async def test_http_request_status_errors_and_retry_policy(http_server: str) -> None:
    r = await http({"url": f"{http_server}/fail"}, retry={"max_attempts": 2, "backoff_s": 0.001})
    assert r.record.status == "error" and r.record.error is not None
    assert "HTTP 503" in r.record.error["message"] and r.attempts["h"] == 2
    r = await http({"url": f"{http_server}/fail", "fail_on_status": False})
    assert out(r, "h")[0]["status"] == 503


async def test_ssrf_guard_blocks_private_targets_and_redirects(http_server: str) -> None:
    r = await http({"url": f"{http_server}/to-other-loopback"})
    assert r.record.status == "error" and r.record.error is not None
    assert "blocked" in r.record.error["message"] and "127.0.0.2" in r.record.error["message"]
    set_policy(OutboundPolicy([]))  # the default: nothing private allowed
    for url in (
        f"{http_server}/echo",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://10.1.2.3/",
    ):
        r = await http({"url": url, "timeout_s": 2})
        assert r.record.status == "error" and r.record.error is not None, url
        assert "blocked" in r.record.error["message"], (url, r.record.error)


async def test_parallel_branches_with_waits_finish_together(engine: Engine) -> None:
    # Short waits (under the inline limit): they overlap on one event loop, none parks.
    branches = [
        {"id": f"w{i}", "type": "core.wait", "params": {"seconds": 0.1}} for i in range(100)
    ]
    r = await run_in(engine, branches, [("in", b["id"]) for b in branches])
    assert r.status == "success"
    assert all(r.statuses[b["id"]] == "success" for b in branches)
    # timing belongs to bench/fanout.py, not to tests


async def test_loop_runs_its_body_once_per_batch() -> None:
    runner = Runner(MemoryStore())
    doc = {
        "name": "loop",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {"id": "loop", "type": "core.loop", "params": {"batch_size": 2}},
            {
                "id": "size",
                "type": "core.set",
                "params": {"fields": {"batch": "{{ items | length }}"}},
            },
            {"id": "after_body", "type": "core.noop"},
            {
                "id": "done",
                "type": "core.transform",
                "params": {"operation": "aggregate", "aggregations": [{"op": "count"}]},
            },
        ],
        "connections": [
            {"from": "in", "to": "loop"},
            {"from": "loop", "from_output": "loop", "to": "size"},
            {"from": "size", "to": "after_body"},
            {"from": "loop", "from_output": "done", "to": "done"},
        ],
    }
    started = await runner.execute(compile_graph(doc), input_items=[{"n": i} for i in range(5)])
    record = await started.wait()
    assert record.status == "success", record.error
    r = started.run
    assert [i["batch"] for i in r.outputs["size"]["main"]] == [2, 2, 2, 2, 1]
    assert len(r.outputs["after_body"]["main"]) == 5
    assert r.outputs["done"]["main"] == [{"count": 5}]
    steps = await runner.store.load_steps(record.id)
    assert sorted((s.run_index, s.attempt) for s in steps if s.node_id == "size") == [
        (0, 1),
        (1, 1),
        (2, 1),
    ]


async def test_a_param_given_by_an_expression_is_checked_against_its_type() -> None:
    limit = {
        "id": "lim",
        "type": "core.transform",
        "params": {"operation": "limit", "max_items": "{{ json.n }}"},
    }
    # a numeric string is what a number param accepts from an expression
    r = await run([limit], [("in", "lim")], items=[{"n": "1"}, {"n": "x"}])
    assert out(r, "lim") == [{"n": "1"}]
    # anything else fails the step with the param, the expression and what it gave
    r = await run([limit], [("in", "lim")], items=[{"n": "many"}])
    assert r.record.status == "error"
    message = r.record.error["message"] if r.record.error else ""
    assert "node 'lim'" in message
    assert "params.max_items" in message
    assert "{{ json.n }}" in message
    assert "'many'" in message
    # a condition is judged by its truth, whatever type its expression gives
    r = await run(
        [{"id": "f", "type": "core.filter", "params": {"condition": "{{ json.n % 3 }}"}}],
        [("in", "f")],
        items=[{"n": 1}, {"n": 3}, {"n": 5}],
    )
    assert out(r, "f") == [{"n": 1}, {"n": 5}]

"""Execution records: listing with filters and keyset pagination, and the record's shape."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionStep, Workflow, WorkflowVersion
from wirework.services import auth

T0 = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


def exec_id(n: int) -> str:
    """Time-ordered ids as the engine makes them: ordering by id orders by start."""
    return f"0190{n:08x}7000{n:016x}"


async def add_workflow(session: AsyncSession, name: str) -> Workflow:
    wf = Workflow(name=name)
    session.add(wf)
    await session.flush()
    session.add(
        WorkflowVersion(
            workflow_id=wf.id, version=1, document={"name": name, "nodes": [], "connections": []}
        )
    )
    await session.flush()
    return wf


def add_execution(session: AsyncSession, wf: Workflow, n: int, status: str) -> Execution:
    ex = Execution(
        id=exec_id(n),
        workflow_id=wf.id,
        workflow_version=1,
        status=status,
        mode="manual",
        started_at=T0 + dt.timedelta(seconds=n),
        finished_at=None if status == "running" else T0 + dt.timedelta(seconds=n, milliseconds=5),
        error={"message": "boom", "node_id": "b"} if status == "error" else None,
    )
    session.add(ex)
    return ex


@pytest.fixture
async def seeded(session: AsyncSession) -> dict[str, Any]:
    """Two workflows; 7 executions of the first, 3 of the second, mixed statuses."""
    a = await add_workflow(session, "A")
    b = await add_workflow(session, "B")
    statuses = ["success", "error", "success", "running", "canceled", "success", "waiting"]
    ids_a = []
    for i, status in enumerate(statuses):
        ids_a.append(add_execution(session, a, i * 2, status).id)
    ids_b = [add_execution(session, b, i * 2 + 1, "success").id for i in range(3)]
    await session.commit()
    return {"a": a.id, "b": b.id, "ids_a": ids_a, "ids_b": ids_b, "statuses": statuses}


def ids(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [e["id"] for e in resp.json()["items"]]


async def test_list_newest_first(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    resp = await client.get("/api/executions")
    everything = sorted(seeded["ids_a"] + seeded["ids_b"], reverse=True)
    assert ids(resp) == everything
    assert resp.json()["next_cursor"] is None
    item = resp.json()["items"][0]
    assert {
        "id",
        "workflow_id",
        "workflow_version",
        "status",
        "mode",
        "started_at",
        "finished_at",
        "error",
    } <= set(item)


async def test_filters(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    a, b = seeded["a"], seeded["b"]
    resp = await client.get("/api/executions", params={"workflow_id": a})
    assert ids(resp) == sorted(seeded["ids_a"], reverse=True)
    resp = await client.get(f"/api/workflows/{b}/executions")
    assert ids(resp) == sorted(seeded["ids_b"], reverse=True)

    resp = await client.get("/api/executions", params={"status": "error"})
    assert [e["status"] for e in resp.json()["items"]] == ["error"]
    assert resp.json()["items"][0]["error"] == {"message": "boom", "node_id": "b"}
    resp = await client.get(
        "/api/executions", params=[("status", "running"), ("status", "waiting")]
    )
    assert sorted(e["status"] for e in resp.json()["items"]) == ["running", "waiting"]
    resp = await client.get(
        "/api/executions", params=[("workflow_id", str(b)), ("status", "success")]
    )
    assert ids(resp) == sorted(seeded["ids_b"], reverse=True)
    resp = await client.get(f"/api/workflows/{a}/executions", params={"status": "success"})
    assert len(ids(resp)) == 3
    resp = await client.get(f"/api/workflows/{b}/executions", params={"status": "error"})
    assert ids(resp) == []


async def test_keyset_pagination(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    everything = sorted(seeded["ids_a"] + seeded["ids_b"], reverse=True)
    for limit in (1, 3, 4, 9, 10):
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            resp = await client.get("/api/executions", params=params)
            page = ids(resp)
            assert 0 < len(page) <= limit
            seen += page
            pages += 1
            cursor = resp.json()["next_cursor"]
            if cursor is None:
                break
            assert cursor == page[-1]
        assert seen == everything, limit
        assert pages == -(-len(everything) // limit)
    # Pagination combined with a filter.
    resp = await client.get(f"/api/workflows/{seeded['a']}/executions", params={"limit": 2})
    first = ids(resp)
    resp = await client.get(
        f"/api/workflows/{seeded['a']}/executions",
        params={"limit": 5, "cursor": resp.json()["next_cursor"]},
    )
    assert first + ids(resp) == sorted(seeded["ids_a"], reverse=True)
    assert resp.json()["next_cursor"] is None


async def test_rows_added_while_paging_do_not_shift_pages(
    client: httpx.AsyncClient, seeded: dict[str, Any], session: AsyncSession
) -> None:
    resp = await client.get("/api/executions", params={"limit": 4})
    first, cursor = ids(resp), resp.json()["next_cursor"]
    wf = await session.get(Workflow, seeded["a"])
    assert wf is not None
    add_execution(session, wf, 100, "success")  # newer than everything
    await session.commit()
    rest = ids(await client.get("/api/executions", params={"limit": 50, "cursor": cursor}))
    assert first + rest == sorted(seeded["ids_a"] + seeded["ids_b"], reverse=True)


def at(seconds: float, tz: dt.tzinfo = dt.UTC) -> str:
    return (T0 + dt.timedelta(seconds=seconds)).astimezone(tz).isoformat()


async def test_time_filters(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    """started_after is inclusive, started_before exclusive; both combine with the other
    filters and with the cursor. (Seeded starts: T0 + n s, A at even n, B at 1, 3, 5.)"""

    def started(resp: httpx.Response) -> list[int]:
        assert resp.status_code == 200, resp.text
        return [
            round((dt.datetime.fromisoformat(e["started_at"]) - T0).total_seconds())
            for e in resp.json()["items"]
        ]

    get = client.get
    assert started(await get("/api/executions", params={"started_after": at(4)})) == [
        12,
        10,
        8,
        6,
        5,
        4,
    ]
    assert started(await get("/api/executions", params={"started_before": at(4)})) == [3, 2, 1, 0]
    plus2 = dt.timezone(dt.timedelta(hours=2))  # the same instants, written in another zone
    window = {"started_after": at(3, plus2), "started_before": at(9, plus2)}
    assert started(await get("/api/executions", params=window)) == [8, 6, 5, 4, 3]
    naive = {"started_after": at(3).removesuffix("+00:00")}  # no zone: UTC
    assert started(await get("/api/executions", params=naive)) == [12, 10, 8, 6, 5, 4, 3]
    both = {**window, "workflow_id": seeded["a"], "status": "success"}
    assert started(await get("/api/executions", params=both)) == [4]
    a = seeded["a"]
    assert started(await get(f"/api/workflows/{a}/executions", params=window)) == [8, 6, 4]

    pages, cursor = [], None
    while True:
        params = {**window, "limit": 2, **({"cursor": cursor} if cursor else {})}
        resp = await get("/api/executions", params=params)
        pages.append(started(resp))
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == [[8, 6], [5, 4], [3]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"started_after": "yesterday"}, "started_after"),
        ({"started_before": "2026-13-01T00:00:00"}, "started_before"),
        ({"started_after": at(5), "started_before": at(5)}, "started_before"),
        ({"started_after": at(6), "started_before": at(5)}, "started_before"),
    ],
)
async def test_bad_time_filters(
    client: httpx.AsyncClient, seeded: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    for path in ("/api/executions", f"/api/workflows/{seeded['a']}/executions"):
        resp = await client.get(path, params=params)
        assert resp.status_code == 422, resp.text
        assert resp.json()["errors"][0]["field"].removeprefix("query.") == field


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "zz"}, "cursor"),
        ({"cursor": "0" * 31}, "cursor"),
        ({"cursor": "G" * 32}, "cursor"),
        ({"cursor": "A" * 32}, "cursor"),
        ({"cursor": "0" * 65}, "cursor"),
        ({"cursor": "' OR 1=1 --"}, "cursor"),
        ({"status": "exploded"}, "status[0]"),
        ({"workflow_id": "x"}, "workflow_id"),
        ({"workflow_id": 0}, "workflow_id"),
        ({"workflow_id": 2**31}, "workflow_id"),
    ],
)
async def test_bad_query_parameters(
    client: httpx.AsyncClient, seeded: dict[str, Any], params: dict[str, Any], field: str
) -> None:
    resp = await client.get("/api/executions", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["code"] == "validation_error"
    assert field in resp.json()["detail"]
    assert resp.json()["errors"][0]["field"].removeprefix("query.") == field
    if "workflow_id" not in params:
        resp = await client.get(f"/api/workflows/{seeded['a']}/executions", params=params)
        assert resp.status_code == 422 and field in resp.json()["detail"]


async def test_limit_bounds(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    assert len(ids(await client.get("/api/executions", params={"limit": 500}))) == 10
    assert len(ids(await client.get("/api/executions", params={"limit": 1}))) == 1


async def test_unknown_workflow(client: httpx.AsyncClient, seeded: dict[str, Any]) -> None:
    resp = await client.get("/api/workflows/999999/executions")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    resp = await client.get("/api/executions", params={"workflow_id": 999999})
    assert resp.status_code == 404


async def test_empty(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/executions")
    assert resp.status_code == 200 and resp.json() == {"items": [], "next_cursor": None}


async def test_execution_record(
    client: httpx.AsyncClient, session: AsyncSession, tmp_path: Path
) -> None:
    wf = await add_workflow(session, "Bug report")
    ex = add_execution(session, wf, 1, "success")
    ex.result_node = "1"
    await session.flush()
    hook_out = {"main": [{"body": {"title": "Crash on start", "emoji": "🐛", "nested": [1, None]}}]}
    # A large output spilled to a file in the data dir.
    spilled = {"main": [{"key": "BUG-1", "n": i} for i in range(3)]}
    spill = tmp_path / "out.json"
    spill.write_text(json.dumps(spilled))
    steps_in = [
        ExecutionStep(
            execution_id=ex.id,
            node_id="hook",
            status="success",
            attempt=1,
            started_at=T0,
            finished_at=T0 + dt.timedelta(milliseconds=1),
            items_out=1,
            output=json.dumps(hook_out),
        ),
        ExecutionStep(
            execution_id=ex.id,
            node_id="1",
            status="error",
            attempt=1,
            started_at=T0,
            finished_at=T0 + dt.timedelta(milliseconds=2),
            error={"message": "HTTP 503", "type": "HTTPError"},
        ),
        ExecutionStep(
            execution_id=ex.id,
            node_id="1",
            status="success",
            attempt=2,
            started_at=T0 + dt.timedelta(seconds=1),
            finished_at=T0 + dt.timedelta(seconds=2),
            output_path=str(spill),
            items_out=3,
        ),
        ExecutionStep(
            execution_id=ex.id,
            node_id="untaken",
            status="skipped",
            attempt=1,
            started_at=T0,
            finished_at=T0,
        ),
    ]
    for step in steps_in:  # one by one: ids in insertion order
        session.add(step)
        await session.flush()
    await session.commit()

    resp = await client.get(f"/api/executions/{ex.id}")
    assert resp.status_code == 200, resp.text
    record = resp.json()
    # DESIGN.md §2: the execution record.
    assert {
        "id",
        "workflow_id",
        "status",
        "started_at",
        "finished_at",
        "error",
        "steps",
        "result",
    } <= set(record)
    assert record["id"] == ex.id and record["workflow_id"] == wf.id
    assert record["status"] == "success" and record["error"] is None
    assert record["result"] == spilled["main"]
    assert dt.datetime.fromisoformat(record["started_at"]) == T0 + dt.timedelta(seconds=1)
    steps = record["steps"]
    assert [(s["node_id"], s["attempt"], s["status"]) for s in steps] == [
        ("hook", 1, "success"),
        ("1", 1, "error"),
        ("1", 2, "success"),
        ("untaken", 1, "skipped"),
    ]
    for step in steps:
        assert {
            "node_id",
            "status",
            "attempt",
            "started_at",
            "finished_at",
            "error",
            "output",
        } <= set(step)
    assert steps[0]["output"] == hook_out
    assert steps[0]["error"] is None
    assert dt.datetime.fromisoformat(steps[0]["finished_at"]) == T0 + dt.timedelta(milliseconds=1)
    assert steps[1]["error"] == {"message": "HTTP 503", "type": "HTTPError"}
    assert steps[1]["output"] is None
    assert steps[2]["output"] == spilled
    assert steps[3]["output"] is None

    # A spilled file that has gone: the step reads as "no output", not a server error.
    spill.unlink()
    resp = await client.get(f"/api/executions/{ex.id}")
    assert resp.status_code == 200
    assert resp.json()["steps"][2]["output"] is None


async def test_large_output_round_trips(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """Inline outputs bigger than 64 KiB (MySQL's TEXT) are kept whole on every backend."""
    wf = await add_workflow(session, "W")
    ex = add_execution(session, wf, 1, "success")
    ex.result_node = "big"
    await session.flush()
    big = {"main": [{"i": i, "text": "ü" * 100} for i in range(1000)]}
    session.add(
        ExecutionStep(
            execution_id=ex.id,
            node_id="big",
            status="success",
            attempt=1,
            started_at=T0,
            finished_at=T0,
            output=json.dumps(big),
        )
    )
    await session.commit()
    record = (await client.get(f"/api/executions/{ex.id}")).json()
    assert record["steps"][0]["output"] == big
    assert record["result"] == big["main"]
    assert not record["steps"][0]["truncated"] and not record["result_truncated"]

    # max_items cuts every port and the result, and says so
    record = (await client.get(f"/api/executions/{ex.id}?max_items=2")).json()
    assert record["steps"][0]["output"] == {"main": big["main"][:2]}
    assert record["steps"][0]["truncated"] is True
    assert record["result"] == big["main"][:2] and record["result_truncated"] is True
    record = (await client.get(f"/api/executions/{ex.id}?max_items=0")).json()
    assert record["steps"][0]["output"] == {"main": []}
    for bad in ("-1", "100001", "many"):
        resp = await client.get(f"/api/executions/{ex.id}?max_items={bad}")
        assert resp.status_code == 422, bad
        assert resp.json()["errors"][0]["field"].endswith("max_items")


async def test_running_execution_without_result(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    wf = await add_workflow(session, "W")
    ex = add_execution(session, wf, 1, "running")
    await session.commit()
    record = (await client.get(f"/api/executions/{ex.id}")).json()
    assert record["status"] == "running"
    assert record["finished_at"] is None and record["steps"] == [] and record["result"] is None


async def test_unknown_execution(client: httpx.AsyncClient) -> None:
    for execution_id in ("0" * 32, "nope", "x" * 200, "%27%20OR%201%3D1"):
        resp = await client.get(f"/api/executions/{execution_id}")
        assert resp.status_code == 404, (execution_id, resp.text)
        assert resp.json()["code"] == "not_found"


async def test_deleting_a_workflow_cascades(
    client: httpx.AsyncClient, session: AsyncSession, seeded: dict[str, Any]
) -> None:
    wf = await session.get(Workflow, seeded["b"])
    await session.delete(wf)
    await session.commit()
    assert ids(await client.get("/api/executions")) == sorted(seeded["ids_a"], reverse=True)

"""Every group of the expression library in a real workflow: set nodes using dates, data,
strings, encoding and numbers run by the engine, their outputs written to and read back from
the database — on every backend (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.engine.nodes import doc
from wirework.engine.executor import ExecutionRun
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime

TITLE = "Quarterly Report 2024 (final)"
ITEM = {
    "title": TITLE,
    "created": "2024-05-17T10:30:00Z",
    "checked": "2024-05-20T10:30:00+02:00",
    "raw": '{"source": "crm", "ids": [3, 1]}',
    "orders": [
        {"id": 1, "sku": "A-1", "total": 20, "status": "paid"},
        {"id": 2, "sku": "B-2", "total": 35.5, "status": "open"},
        {"id": 3, "sku": "C-3", "total": 12, "status": "paid"},
    ],
    "body": "Contact   ada@example.com\n or  bob@test.org  ",
    "price": 1234.56,
    "qty": "7",
}


def set_node(id_: str, **fields: str) -> dict[str, Any]:
    return {"id": id_, "type": "core.set", "params": {"fields": fields, "keep_input": False}}


NODES = [
    {"id": "start", "type": "core.manual"},
    set_node(
        "dates",
        due="{{ trigger.created | date_plus(days=3) | format_date('%Y-%m-%d') }}",
        in_paris="{{ trigger.created | to_zone('Europe/Paris') }}",
        age_days="{{ date_diff(trigger.checked, trigger.created) }}",
        week="{{ trigger.created | week_number }}",
        stamp="{{ now }}",
        zone="{{ now.zone }}",
        ordered="{{ today <= now and to_date(trigger.created) < now }}",
        month_end="{{ to_date(trigger.created).end_of('month').format('%d') }}",
    ),
    set_node(
        "data",
        payload="{{ parse_json(trigger.raw) }}",
        paid="{{ trigger.orders | jmespath(\"[?status=='paid'].id\") }}",
        statuses="{{ trigger.orders | group_by('status') | list }}",
        total="{{ trigger.orders | sum_of('total') }}",
        first_sku="{{ deep_get(trigger, 'orders[0].sku', 'none') }}",
        slim="{{ trigger.orders[0] | pick('id', 'status') }}",
        sorted_ids="{{ trigger.orders | sort_by('total', reverse=true) | pluck('id') }}",
        as_text="{{ to_json(parse_json(trigger.raw).ids) }}",
    ),
    set_node(
        "strings",
        slug="{{ trigger.title | slugify }}",
        year="{{ regex_search(trigger.title, '(\\\\d{4})').groups[0] }}",
        emails="{{ trigger.body | extract_emails }}",
        clean="{{ trigger.body | regex_replace('\\\\s+', ' ') | trim }}",
        key="{{ trigger.title | snake_case }}",
        line="{{ format_text('{title} has {n} orders', title=trigger.title, n=trigger.orders|length) }}",
    ),
    set_node(
        "encoding",
        b64="{{ trigger.title | base64_encode }}",
        back="{{ trigger.title | base64_encode | base64_decode }}",
        sig="{{ hmac(trigger.title, 'secret') }}",
        digest="{{ trigger.title | sha256 }}",
        id="{{ uuid7() }}",
        query="{{ trigger.title | url_encode }}",
    ),
    set_node(
        "numbers",
        rounded="{{ round(trigger.price, 1) }}",
        price_text="{{ trigger.price | format_number(2) }}",
        qty="{{ trigger.qty | to_int }}",
        clamped="{{ trigger.qty | to_int | clamp(1, 5) }}",
        biggest="{{ max(trigger.orders | pluck('total')) }}",
    ),
]
GRAPH = doc(
    NODES,
    [("start", "dates"), ("dates", "data"), ("data", "strings"), ("strings", "encoding"),
     ("encoding", "numbers")],
    timezone="Asia/Tokyo",
)  # fmt: skip


@pytest.fixture
async def runner(runtime: Runtime) -> AsyncIterator[Runner]:
    r = Runner(SqlStore(runtime.engine, runtime.settings.data_dir))
    await r.start(resume=False)
    yield r
    await r.stop(grace_s=1)


async def run(runner: Runner, workflow_id: int, document: dict[str, Any]) -> ExecutionRun:
    graph = compile_graph(document, workflow_id=workflow_id, version=1)
    started = await runner.execute(graph, input_items=[ITEM])
    await started.wait()
    await runner.store.flush()
    return started.run


async def stored(runtime: Runtime, execution_id: str) -> dict[str, Any]:
    async with runtime.sessionmaker() as session:
        return (await get_record(session, execution_id)).model_dump(mode="json")


def outputs(record: dict[str, Any]) -> dict[str, Any]:
    return {step["node_id"]: step["output"]["main"][0] for step in record["steps"][1:]}


async def test_every_group_in_a_workflow(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    run_ = await run(runner, workflow_id, GRAPH)
    assert run_.record.status == "success", run_.record.error
    out = outputs(await stored(runtime, run_.record.id))

    dates = out["dates"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+09:00", dates.pop("stamp"))
    assert dates == {
        "due": "2024-05-20",
        "in_paris": "2024-05-17T12:30:00+02:00",
        "age_days": 2.9166666666666665,  # 70 hours: the offsets are honoured
        "week": 20,
        "zone": "Asia/Tokyo",
        "ordered": True,
        "month_end": "31",
    }
    assert out["data"] == {
        "payload": {"source": "crm", "ids": [3, 1]},
        "paid": [1, 3],
        "statuses": ["paid", "open"],
        "total": 67.5,
        "first_sku": "A-1",
        "slim": {"id": 1, "status": "paid"},
        "sorted_ids": [2, 1, 3],
        "as_text": "[3,1]",
    }
    assert out["strings"] == {
        "slug": "quarterly-report-2024-final",
        "year": "2024",
        "emails": ["ada@example.com", "bob@test.org"],
        "clean": "Contact ada@example.com or bob@test.org",
        "key": "quarterly_report_2024_final",
        "line": f"{TITLE} has 3 orders",
    }
    encoding = out["encoding"]
    assert uuid.UUID(encoding.pop("id")).version == 7
    assert encoding == {
        "b64": base64.b64encode(TITLE.encode()).decode(),
        "back": TITLE,
        "sig": hmac.new(b"secret", TITLE.encode(), "sha256").hexdigest(),
        "digest": hashlib.sha256(TITLE.encode()).hexdigest(),
        "query": "Quarterly%20Report%202024%20%28final%29",
    }
    assert out["numbers"] == {
        "rounded": 1234.6,
        "price_text": "1,234.56",
        "qty": 7,
        "clamped": 5,
        "biggest": 35.5,
    }


async def test_a_library_error_fails_the_step_naming_everything(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            set_node("Format", day="{{ format_date(trigger.title, '%Y') }}"),
        ],
        [("start", "Format")],
    )
    run_ = await run(runner, workflow_id, document)
    assert run_.record.status == "error"
    record = await stored(runtime, run_.record.id)
    message = record["error"]["message"]
    assert "node 'Format'" in message
    assert "parameter 'params.fields.day'" in message
    assert "expression \"{{ format_date(trigger.title, '%Y') }}\"" in message
    assert (
        "format_date: 'Quarterly Report 2024 (final)' is not a date "
        "(expected ISO 8601 or pass a format)"
    ) in message
    failed = [step for step in record["steps"] if step["status"] == "error"]
    assert [step["node_id"] for step in failed] == ["Format"]


async def test_a_library_limit_fails_the_step_naming_the_function(
    runner: Runner, runtime: Runtime, workflow_id: int
) -> None:
    document = doc(
        [
            {"id": "start", "type": "core.manual"},
            set_node("Big", n="{{ ('a' * 60000) | regex_find_all('a.*b|a') | length }}"),
        ],
        [("start", "Big")],
    )
    run_ = await run(runner, workflow_id, document)
    assert run_.record.status == "error"
    message = (await stored(runtime, run_.record.id))["error"]["message"]
    assert "node 'Big' parameter 'params.fields.n'" in message
    assert "limit exceeded: regex_find_all: work budget" in message

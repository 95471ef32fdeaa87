"""GET /api/expressions/functions and POST /api/expressions/preview."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.test_users import make_user
from wirework.engine import exprlib
from wirework.schemas.expressions import MAX_PREVIEW_BYTES, MAX_PREVIEW_SOURCE

PREVIEW = "/api/expressions/preview"


async def preview(client: httpx.AsyncClient, expression: str, **scope: Any) -> dict[str, Any]:
    resp = await client.post(PREVIEW, json={"expression": expression, "scope": scope})
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def test_the_catalogue_lists_every_entry_in_every_form(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/expressions/functions")
    assert resp.status_code == 200
    functions = resp.json()["functions"]
    assert len(functions) == sum(len(entry.forms) for entry in exprlib.ENTRIES)
    by_key = {(f["name"], f["kind"]): f for f in functions}
    fmt = by_key[("format_date", "function")]
    assert fmt["group"] == "dates"
    assert fmt["signature"] == "format_date(date, format='iso', zone=None)"
    assert fmt["description"]
    assert fmt["examples"][0]["expression"].startswith("{{ format_date(")
    as_filter = by_key[("format_date", "filter")]
    assert as_filter["signature"] == "date | format_date(format='iso', zone=None)"
    assert "| format_date" in as_filter["examples"][0]["expression"]
    assert by_key[("now", "variable")]["signature"] == "now"
    assert by_key[("upper", "filter")]["group"] == "strings"  # Jinja's own filters too
    assert {f["kind"] for f in functions} == {"function", "filter", "variable"}
    assert {f["group"] for f in functions} == {"dates", "data", "strings", "encoding", "numbers"}
    for entry in functions:
        assert set(entry) == {"name", "kind", "group", "signature", "description", "examples"}
        assert entry["examples"] and all(
            set(e) == {"expression", "result"} for e in entry["examples"]
        )


async def test_any_logged_in_user_may_use_both(client: httpx.AsyncClient) -> None:
    _, viewer = await make_user(client, "viewer@example.com", "viewer")
    functions = await client.get("/api/expressions/functions", headers=viewer)
    assert functions.status_code == 200
    resp = await client.post(PREVIEW, json={"expression": "{{ 1 + 1 }}"}, headers=viewer)
    assert resp.json() == {"ok": True, "value": 2, "type": "number"}


async def test_nobody_else(anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.get("/api/expressions/functions")).status_code == 401
    assert (await anon_client.post(PREVIEW, json={"expression": "x"})).status_code == 401


@pytest.mark.parametrize(
    ("expression", "value", "kind"),
    [
        ("{{ json.name | upper }}", "ADA", "string"),
        ("Hi {{ json.name }}!", "Hi ada!", "string"),
        ("plain text", "plain text", "string"),
        ("{{ json.n * 2 }}", 42, "number"),
        ("{{ json.n > 1 }}", True, "boolean"),
        ("{{ json.missing }}", None, "null"),
        ("{{ [json.n] }}", [21], "list"),
        ("{{ nodes['Webhook'].json.id }}", 7, "number"),
        ("{{ nodes['Webhook'].items | length }}", 1, "number"),
        ("{{ nodes['Many'].items | pluck('id') }}", [1, 2], "list"),
        ("{{ items | length }}", 1, "number"),
        ("{{ trigger.source }}", "hook", "string"),
        ("{{ vars.team }}", "core", "string"),
        ("{{ execution.mode }}", "preview", "string"),
        ("{{ json.when | date_plus(days=1) | format_date('%d.%m.') }}", "18.05.", "string"),
        ("{{ {'a': json.n} }}", {"a": 21}, "object"),
    ],
)
async def test_preview_gives_the_value_and_its_type(
    client: httpx.AsyncClient, expression: str, value: Any, kind: str
) -> None:
    out = await preview(
        client,
        expression,
        json={"name": "ada", "n": 21, "when": "2024-05-17"},
        nodes={"Webhook": {"json": {"id": 7}}, "Many": {"items": [{"id": 1}, {"id": 2}]}},
        trigger={"source": "hook"},
        vars={"team": "core"},
    )
    assert out == {"ok": True, "value": value, "type": kind}


async def test_now_is_in_the_time_zone_asked_for(client: httpx.AsyncClient) -> None:
    out = await preview(client, "{{ now.zone }} {{ today.hour }}", timezone="Europe/Paris")
    assert out["value"] == "Europe/Paris 0"
    resp = await client.post(PREVIEW, json={"expression": "x", "scope": {"timezone": "Mars/Base"}})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "body.scope.timezone"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("{{ format_date('yesterday', '%Y') }}",
         "format_date: 'yesterday' is not a date (expected ISO 8601 or pass a format)"),
        ("{{ json.missing + 1 }}", "'missing' is undefined"),
        ("{{ json. }}", "expected name or number"),
        ("{{ regex_match('a', '(a') }}", "regex_match: invalid regular expression '(a'"),
        ("{{ ''.__class__ }}", "not allowed"),
        ("{{ 'a' * 10**10 }}", "limit exceeded"),
        ("{{ to_int('n/a') }}", "to_int: 'n/a' is not a number"),
    ],
)  # fmt: skip
async def test_a_failing_expression_is_an_answer_not_an_error(
    client: httpx.AsyncClient, expression: str, message: str
) -> None:
    out = await preview(client, expression, json={"a": 1})
    assert out["ok"] is False
    assert message in out["error"]
    assert "\n" not in out["error"] and "Traceback" not in out["error"]


async def test_work_over_the_budget_is_refused_in_time(client: httpx.AsyncClient) -> None:
    out = await preview(
        client,
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    )
    assert out["ok"] is False and "limit exceeded" in out["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "expression"),
        ({"expression": 3}, "expression"),
        ({"expression": "x", "extra": 1}, "extra"),
        ({"expression": "x", "scope": {"jsn": {}}}, "scope.jsn"),
        ({"expression": "x", "scope": {"nodes": {"A": {"json": 1, "x": 2}}}}, "scope.nodes.A.x"),
        ({"expression": "x", "scope": {"vars": []}}, "scope.vars"),
        ({"expression": "x" * (MAX_PREVIEW_SOURCE + 1)}, "expression"),
    ],
)
async def test_malformed_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    resp = await client.post(PREVIEW, json=body)
    assert resp.status_code == 422, resp.text
    assert f"body.{field}" in [error["field"] for error in resp.json()["errors"]]


async def test_a_body_over_the_cap_is_413(client: httpx.AsyncClient) -> None:
    big = {"expression": "{{ 1 }}", "scope": {"json": {"s": "x" * MAX_PREVIEW_BYTES}}}
    resp = await client.post(PREVIEW, json=big)
    assert resp.status_code == 413
    assert resp.json()["code"] == "payload_too_large"


async def test_not_json_is_422(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        PREVIEW, content=b"{nope", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422

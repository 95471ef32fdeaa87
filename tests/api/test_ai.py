"""/api/ai: prices (admins write), usage totals, spending limits, prompt templates with
versions and the preview. Who may do what, and bad input as a 422 naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from tests.api.test_auth import bearer, make_user
from wirework.db.models_ai import AiUsage
from wirework.services.runtime import Runtime


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from wirework.services import auth

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


def fields(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 422, resp.text
    return [e["field"] for e in resp.json()["errors"]]


PRICE = {"provider": "openai", "model": "gpt-4o", "input_per_million": "2.5",
         "output_per_million": "10"}  # fmt: skip
TEMPLATE = {
    "name": "reply",
    "description": "Answer a ticket",
    "messages": [
        {"role": "system", "content": "You answer {{ product }} tickets."},
        {"role": "user", "content": "{{ json.ticket | upper }}"},
    ],
    "variables": {"product": "Wirework", "ticket": "it broke"},
}


async def test_prices_admins_write_viewers_and_editors_read(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    created = await client.post("/api/ai/prices", json=PRICE)
    assert created.status_code == 201, created.text
    price = created.json()
    assert price["input_per_million"] == "2.5" and price["output_per_million"] == "10"

    _, viewer = await make_user(client, "view@example.com", "viewer")
    _, editor = await make_user(client, "edit@example.com", "editor")
    for token in (viewer, editor):
        listed = await anon_client.get("/api/ai/prices", headers=bearer(token))
        assert listed.status_code == 200 and listed.json()[0]["model"] == "gpt-4o"
        other = {**PRICE, "model": "gpt-4o-mini"}
        refused = await anon_client.post("/api/ai/prices", json=other, headers=bearer(token))
        assert refused.status_code == 403, refused.text
        put = await anon_client.put(
            f"/api/ai/prices/{price['id']}", json=PRICE, headers=bearer(token)
        )
        assert put.status_code == 403

    updated = await client.put(
        f"/api/ai/prices/{price['id']}", json={**PRICE, "input_per_million": "2.25"}
    )
    assert updated.status_code == 200 and updated.json()["input_per_million"] == "2.25"
    duplicate = await client.post("/api/ai/prices", json=PRICE)
    assert duplicate.status_code == 409
    assert (await client.delete(f"/api/ai/prices/{price['id']}")).status_code == 204
    assert (await client.get(f"/api/ai/prices/{price['id']}")).status_code == 404


async def test_bad_prices_name_the_field(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({**PRICE, "input_per_million": "-1"}, "input_per_million"),
        ({**PRICE, "output_per_million": "0.0000001"}, "output_per_million"),
        ({**PRICE, "output_per_million": "abc"}, "output_per_million"),
        ({**PRICE, "model": "has space"}, "model"),
        ({**PRICE, "provider": ""}, "provider"),
        ({**PRICE, "extra": 1}, "extra"),
    ]
    for body, field in cases:
        got = fields(await client.post("/api/ai/prices", json=body))
        assert any(f.endswith(field) for f in got), (body, got)


async def test_usage_totals_and_their_parameters(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    today = dt.datetime.now(dt.UTC).date()
    async with runtime.sessionmaker() as session:
        for day, model, cost in ((today, "gpt-4o", 7_500_000), (today, "x", None)):
            session.add(
                AiUsage(execution_id="e1", node_id="n", run_index=0, attempt=1, workflow_id=None,
                        project_id=None, day=day, provider="openai", model=model, template=None,
                        calls=1, input_tokens=1000, output_tokens=500, cost_nanos=cost,
                        unpriced_calls=0 if cost else 1)
            )  # fmt: skip
        await session.commit()
    resp = await client.get("/api/ai/usage", params={"group_by": "model"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["from"] == (today - dt.timedelta(days=29)).isoformat()
    assert [(g["key"], g["cost"]) for g in body["groups"]] == [
        ("openai/gpt-4o", "0.0075"),
        ("openai/x", None),
    ]
    assert body["total"] == {"calls": 2, "input_tokens": 2000, "output_tokens": 1000,
                             "cost": "0.0075", "unpriced_calls": 1}  # fmt: skip
    by_day = (await client.get("/api/ai/usage")).json()
    assert [g["key"] for g in by_day["groups"]] == [today.isoformat()]

    assert fields(await client.get("/api/ai/usage", params={"group_by": "week"})) == [
        "query.group_by"
    ]
    later = {"from": "2026-02-01", "to": "2026-01-01"}
    assert fields(await client.get("/api/ai/usage", params=later)) == ["from"]
    assert fields(await client.get("/api/ai/usage", params={"from": "yesterday"})) == ["query.from"]


async def test_limits_admins_set_them_viewers_read(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    flow = await client.post(
        "/api/workflows",
        json={"name": "W", "nodes": [{"id": "s", "type": "core.manual"}], "connections": []},
    )
    wid = flow.json()["id"]
    resp = await client.put(
        "/api/ai/limits", json={"scope": "workflow", "scope_id": wid, "daily_limit": "5"}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["daily_limit"] == "5" and resp.json()["spent_today"] == "0"
    assert resp.json()["label"] == "W"
    replaced = await client.put(
        "/api/ai/limits", json={"scope": "workflow", "scope_id": wid, "daily_limit": "7.5"}
    )
    assert replaced.json()["id"] == resp.json()["id"]
    instance = await client.put("/api/ai/limits", json={"scope": "instance", "daily_limit": "20"})
    assert instance.status_code == 200 and instance.json()["scope_id"] is None
    assert instance.json()["label"] == "instance"

    _, viewer = await make_user(client, "view@example.com", "viewer")
    listed = await anon_client.get("/api/ai/limits", headers=bearer(viewer))
    assert [(x["scope"], x["daily_limit"]) for x in listed.json()] == [
        ("instance", "20"),
        ("workflow", "7.5"),
    ]
    body = {"scope": "instance", "daily_limit": "1"}
    refused = await anon_client.put("/api/ai/limits", json=body, headers=bearer(viewer))
    assert refused.status_code == 403

    assert fields(
        await client.put("/api/ai/limits", json={"scope": "workflow", "daily_limit": "1"})
    ) == ["scope_id"]
    bad = {"scope": "workflow", "scope_id": 999999, "daily_limit": "1"}
    assert fields(await client.put("/api/ai/limits", json=bad)) == ["scope_id"]
    bad = {"scope": "instance", "daily_limit": "0"}
    assert fields(await client.put("/api/ai/limits", json=bad)) == ["body.daily_limit"]
    deleted = await client.delete(f"/api/ai/limits/{resp.json()['id']}")
    assert deleted.status_code == 204
    assert (await client.delete(f"/api/ai/limits/{resp.json()['id']}")).status_code == 404


async def test_a_limit_is_labelled_with_its_workflow_name(client: httpx.AsyncClient) -> None:
    """The UI shows a limit by its workflow's name; once the workflow is deleted, the limit
    stays (and can be removed) as 'deleted workflow #id'."""
    flow = await client.post(
        "/api/workflows",
        json={"name": "Triage", "nodes": [{"id": "s", "type": "core.manual"}], "connections": []},
    )
    wid = flow.json()["id"]
    body = {"scope": "workflow", "scope_id": wid, "daily_limit": "2"}
    assert (await client.put("/api/ai/limits", json=body)).json()["label"] == "Triage"
    project = {"scope": "project", "scope_id": 3, "daily_limit": "1"}
    assert (await client.put("/api/ai/limits", json=project)).json()["label"] == "project #3"
    assert (await client.delete(f"/api/workflows/{wid}")).status_code == 204
    listed = (await client.get("/api/ai/limits")).json()
    assert [(x["scope"], x["label"]) for x in listed] == [
        ("project", "project #3"),
        ("workflow", f"deleted workflow #{wid}"),
    ]


async def test_templates_versions_and_preview(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    created = await client.post("/api/ai/templates", json=TEMPLATE)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1 and created.json()["latest_version"] == 1
    again = await client.post("/api/ai/templates", json=TEMPLATE)
    assert again.status_code == 409

    v2 = {
        "messages": [{"role": "user", "content": "v2 {{ product }}"}],
        "variables": {"product": "X"},
    }
    saved = await client.put("/api/ai/templates/reply", json=v2)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["version"] == 2 and body["description"] == "Answer a ticket"
    assert [v["version"] for v in body["versions"]] == [2, 1]
    old = await client.get("/api/ai/templates/reply/versions/1")
    assert old.json()["messages"] == TEMPLATE["messages"] and old.json()["latest_version"] == 2
    assert (await client.get("/api/ai/templates/reply/versions/3")).status_code == 404

    content = {"messages": TEMPLATE["messages"], "variables": TEMPLATE["variables"]}
    preview = await client.post("/api/ai/templates/preview", json=content)
    assert preview.status_code == 200, preview.text
    assert preview.json()["messages"] == [
        {"role": "system", "content": "You answer Wirework tickets."},
        {"role": "user", "content": "IT BROKE"},
    ]
    stored = await client.post("/api/ai/templates/reply/versions/1/preview", json={})
    assert stored.json()["messages"][1]["content"] == "IT BROKE"
    given = await client.post(
        "/api/ai/templates/reply/versions/2/preview", json={"variables": {"product": "Y"}}
    )
    assert given.json()["messages"] == [{"role": "user", "content": "v2 Y"}]

    _, viewer = await make_user(client, "view@example.com", "viewer")
    listed = await anon_client.get("/api/ai/templates", headers=bearer(viewer))
    assert [(t["name"], t["latest_version"]) for t in listed.json()] == [("reply", 2)]
    as_viewer = await anon_client.put("/api/ai/templates/reply", json=v2, headers=bearer(viewer))
    assert as_viewer.status_code == 403
    viewer_preview = await anon_client.post(
        "/api/ai/templates/preview", json=content, headers=bearer(viewer)
    )
    assert viewer_preview.status_code == 200

    assert (await client.delete("/api/ai/templates/reply")).status_code == 204
    assert (await client.get("/api/ai/templates/reply")).status_code == 404


async def test_bad_templates_are_422_naming_the_message(client: httpx.AsyncClient) -> None:
    broken = {**TEMPLATE, "messages": [{"role": "user", "content": "ok"},
                                       {"role": "user", "content": "{{ oops( }}"}]}  # fmt: skip
    resp = await client.post("/api/ai/templates", json=broken)
    assert fields(resp) == ["messages[1].content"]
    assert resp.json()["detail"].startswith("messages[1].content: ")

    failing = {"messages": [{"role": "user", "content": "{{ 1 / 0 }}"}]}
    resp = await client.post("/api/ai/templates/preview", json=failing)
    assert fields(resp) == ["messages[0].content"]
    assert "division" in resp.json()["detail"].lower() or "zero" in resp.json()["detail"]

    cases: list[tuple[dict[str, Any], str]] = [
        ({**TEMPLATE, "name": "bad name"}, "body.name"),
        ({**TEMPLATE, "messages": []}, "body.messages"),
        ({**TEMPLATE, "messages": [{"role": "wizard", "content": "x"}]}, "body.messages[0].role"),
        ({**TEMPLATE, "variables": {"my var": 1}}, "variables.my var"),
        ({**TEMPLATE, "variables": {"json": 1}}, "variables.json"),
    ]
    for body, field in cases:
        got = fields(await client.post("/api/ai/templates", json=body))
        assert field in got, (body, got)
    bad_path = await client.get("/api/ai/templates/bad%20name")
    assert fields(bad_path) == ["path.name"]

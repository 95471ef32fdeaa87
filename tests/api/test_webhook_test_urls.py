"""Test webhook URLs (/webhook-test/…): only an editor-armed workflow answers, once, within the
listening window; everything else (unarmed, used, expired, disarmed) is the same 404 as an
unknown path. Production URLs serve active workflows only; resume URLs resume only the
execution their signature names. Against the real app, on every database."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.engine.waiting import wait_for
from wirework.db.models import WebhookTestListener
from wirework.services import auth as auth_service
from wirework.services.runtime import Runtime
from wirework.services.webhook_tests import TEST_LISTEN_S
from wirework.services.webhooks import resume_token

NOT_FOUND = {"detail": "Not Found", "code": "not_found", "errors": []}


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth_service, "_hasher", cheap)


def hook_doc(path: str, label: str = "v1", respond: str = "last_node") -> dict[str, Any]:
    return {
        "name": f"hook {path}",
        "nodes": [
            {
                "id": "hook",
                "type": "core.webhook",
                "params": {"path": path, "method": "POST", "respond": respond},
            },
            {
                "id": "set",
                "type": "core.set",
                "params": {
                    "fields": {"label": label, "title": "{{ json.body.title }}"},
                    "keep_input": False,
                },
            },
        ],
        "connections": [{"from": "hook", "to": "set"}],
    }


async def create(client: httpx.AsyncClient, doc: dict[str, Any], active: bool = False) -> int:
    resp = await client.post("/api/workflows", json={**doc, "active": active})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def runs(client: httpx.AsyncClient, workflow_id: int) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/workflows/{workflow_id}/executions")
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


def anonymous(client: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=client._transport, base_url=str(client.base_url))


def assert_plain_404(resp: httpx.Response) -> None:
    assert resp.status_code == 404, resp.text
    assert resp.json() == NOT_FOUND


async def test_unarmed_test_urls_run_nothing(client: httpx.AsyncClient) -> None:
    draft = await create(client, hook_doc("draft"))
    live = await create(client, hook_doc("live"), active=True)
    async with anonymous(client) as anon:
        unknown = await anon.post("/webhook-test/nothing-here", json={})
        assert_plain_404(unknown)
        for path in ("/webhook-test/draft", "/webhook-test/live", "/webhook/draft"):
            resp = await anon.post(path, json={"title": "x"})
            assert_plain_404(resp)
            assert resp.headers["content-type"] == unknown.headers["content-type"]
            assert resp.content == unknown.content
    assert await runs(client, draft) == [] and await runs(client, live) == []


async def test_armed_test_url_takes_one_call_and_the_editor_sees_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    wf = await create(client, hook_doc("trial", "draft-1"))
    resp = await client.post(f"/api/workflows/{wf}/test-webhook")
    assert resp.status_code == 201, resp.text
    armed = resp.json()
    assert armed["status"] == "listening" and armed["version"] == 1
    assert armed["urls"] == [
        {
            "node_id": "hook",
            "method": "POST",
            "url": f"{runtime.settings.base_url}/webhook-test/trial",
        }
    ]
    window = dt.datetime.fromisoformat(armed["expires_at"]) - dt.datetime.fromisoformat(
        armed["armed_at"]
    )
    assert window == dt.timedelta(seconds=TEST_LISTEN_S)
    assert armed["execution_id"] is None

    async with anonymous(client) as anon:
        first = await anon.post("/webhook-test/trial", json={"title": "t"})
        assert first.status_code == 200, first.text
        assert first.json() == {"label": "draft-1", "title": "t"}
        assert_plain_404(await anon.post("/webhook-test/trial", json={"title": "again"}))
        assert_plain_404(await anon.post("/webhook/trial", json={"title": "prod"}))

    seen = (await client.get(f"/api/workflows/{wf}/test-webhook")).json()
    assert seen["status"] == "called" and seen["called_at"] is not None
    record = (await client.get(f"/api/executions/{seen['execution_id']}")).json()
    assert record["mode"] == "test" and record["status"] == "success"
    assert record["workflow_id"] == wf and record["result"] == [{"label": "draft-1", "title": "t"}]
    assert [r["id"] for r in await runs(client, wf)] == [seen["execution_id"]]

    # Re-arming listens again, to the newest draft.
    doc = hook_doc("trial", "draft-2")
    resp = await client.put(f"/api/workflows/{wf}", json={**doc, "version": 1})
    assert resp.status_code == 200, resp.text
    rearmed = (await client.post(f"/api/workflows/{wf}/test-webhook")).json()
    assert rearmed["status"] == "listening" and rearmed["version"] == 2
    resp = await client.post("/webhook-test/trial", json={"title": "u"})
    assert resp.json() == {"label": "draft-2", "title": "u"}


async def test_concurrent_calls_run_once(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("race", respond="immediately"))
    assert (await client.post(f"/api/workflows/{wf}/test-webhook")).status_code == 201
    answers = await asyncio.gather(
        *(client.post("/webhook-test/race", json={"title": str(i)}) for i in range(6))
    )
    assert sorted(r.status_code for r in answers) == [200] + [404] * 5
    assert len(await runs(client, wf)) == 1


async def test_disarmed_and_expired_listeners_answer_404(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    wf = await create(client, hook_doc("gone"))
    await client.post(f"/api/workflows/{wf}/test-webhook")
    assert (await client.delete(f"/api/workflows/{wf}/test-webhook")).status_code == 204
    assert_plain_404(await client.post("/webhook-test/gone", json={}))
    assert (await client.get(f"/api/workflows/{wf}/test-webhook")).status_code == 404
    assert (await client.delete(f"/api/workflows/{wf}/test-webhook")).status_code == 404

    await client.post(f"/api/workflows/{wf}/test-webhook")
    async with runtime.sessionmaker() as session, session.begin():
        await session.execute(
            update(WebhookTestListener).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    assert_plain_404(await client.post("/webhook-test/gone", json={}))
    assert (await client.get(f"/api/workflows/{wf}/test-webhook")).json()["status"] == "expired"
    assert await runs(client, wf) == []


async def test_arming_rules(client: httpx.AsyncClient) -> None:
    no_hook = await create(
        client, {"name": "manual", "nodes": [{"id": "m", "type": "core.manual"}]}
    )
    resp = await client.post(f"/api/workflows/{no_hook}/test-webhook")
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "nodes"
    assert (await client.post("/api/workflows/999999/test-webhook")).status_code == 404
    async with anonymous(client) as anon:
        wf = await create(client, hook_doc("anon"))
        assert (await anon.post(f"/api/workflows/{wf}/test-webhook")).status_code == 401


async def test_viewers_cannot_arm(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("viewed"))
    resp = await client.post(
        "/api/users",
        json={"email": "viewer@example.com", "password": "a long password", "role": "viewer"},
    )
    assert resp.status_code == 201, resp.text
    async with anonymous(client) as viewer:
        login = await viewer.post(
            "/api/auth/login", json={"email": "viewer@example.com", "password": "a long password"}
        )
        viewer.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        assert (await viewer.post(f"/api/workflows/{wf}/test-webhook")).status_code == 403
        assert_plain_404(await viewer.post("/webhook-test/viewed", json={}))
        await client.post(f"/api/workflows/{wf}/test-webhook")
        seen = await viewer.get(f"/api/workflows/{wf}/test-webhook")
        assert seen.status_code == 200 and seen.json()["status"] == "listening"
        assert (await viewer.delete(f"/api/workflows/{wf}/test-webhook")).status_code == 403


async def test_deactivated_workflows_stop_answering_at_once(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("switch"), active=True)
    assert (await client.post("/webhook/switch", json={"title": "on"})).status_code == 200
    assert (await client.post(f"/api/workflows/{wf}/deactivate")).status_code == 200
    assert_plain_404(await client.post("/webhook/switch", json={"title": "off"}))
    assert len(await runs(client, wf)) == 1


async def test_resume_urls_resume_only_their_execution(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    doc = {
        "name": "approval",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {"id": "approve", "type": "core.wait", "params": {"resume": "webhook"}},
        ],
        "connections": [{"from": "start", "to": "approve"}],
    }
    wf = await create(client, doc)
    first = (await client.post(f"/api/workflows/{wf}/execute?wait=true", json={})).json()
    second = (await client.post(f"/api/workflows/{wf}/execute?wait=true", json={})).json()
    assert first["status"] == second["status"] == "waiting"
    key = runtime.signing_key
    async with anonymous(client) as anon:
        for url in (
            f"/webhook-waiting/{first['id']}",  # no signature
            f"/webhook-waiting/{first['id']}?token=",
            f"/webhook-waiting/{first['id']}?token={resume_token(key, second['id'])}",
            f"/webhook-waiting/{first['id']}?token={resume_token('another key', first['id'])}",
            f"/webhook-waiting/{'0' * 32}?token={resume_token(key, '0' * 32)}",  # no such run
            f"/webhook-waiting/{first['id']}?token=%C3%A9%F0%9F%94%91",  # not ASCII
            f"/webhook-waiting/{first['id']}?token=%ED%A0%80%FF",  # not UTF-8
            f"/webhook-waiting/{'é' * 40}?token=x",
        ):
            assert_plain_404(await anon.post(url, json={}))
        for record in (first, second):
            state = (await client.get(f"/api/executions/{record['id']}")).json()
            assert state["status"] == "waiting"
        good = f"/webhook-waiting/{first['id']}?token={resume_token(key, first['id'])}"
        resp = await anon.post(good, json={"ok": True})
        assert resp.status_code == 200 and resp.json()["status"] == "resumed"

        async def ended() -> Any:
            state = (await client.get(f"/api/executions/{first['id']}")).json()
            return state if state["status"] not in ("running", "waiting") else None

        state = await wait_for(ended, "the resumed execution ended")
        assert state["status"] == "success"
        assert_plain_404(await anon.post(good, json={"ok": True}))  # it no longer waits
    assert (await client.get(f"/api/executions/{second['id']}")).json()["status"] == "waiting"

"""Telegram's updates trigger through the real app, on every database: the secret token of
setWebhook checked in constant time (and masked in the item), repeats of an update_id
dropped, update types filtered."""

from __future__ import annotations

import json

import httpx

from tests.integrations.conftest import finished_record
from tests.integrations.telegram.fake_server import TOKEN
from tests.integrations.workflows import add_integration, executions, trigger_workflow
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime

SECRET = "tg-hook-secret_0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update(update_id: int, text: str = "/start") -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 10,
                "from": {"id": 42, "is_bot": False, "first_name": "Ada"},
                "chat": {"id": 42, "type": "private", "first_name": "Ada"},
                "date": 1700000000,
                "text": text,
            },
        }
    ).encode()


async def workflow(client: httpx.AsyncClient, events: list[str]) -> int:
    iid = await add_integration(
        client, "telegram", {"bot_token": TOKEN, "webhook_secret": SECRET}, name="Bot"
    )
    return await trigger_workflow(
        client,
        iid,
        "telegram.updates",
        {"path": "tg/bot", "events": events},
        {"text": "{{ json.body.message.text }}"},
        name="bot",
        node_id="tg",
    )


async def test_bot_updates(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await ensure_engine(runtime)
    wid = await workflow(client, ["message"])
    url = "/webhook/tg/bot"
    json_type = {"content-type": "application/json"}
    body = update(1001, "/status")
    assert (await client.post(url, content=body, headers=json_type)).status_code == 401
    wrong = await client.post(url, content=body, headers={**json_type, HEADER: "guess"})
    assert wrong.status_code == 401
    ok = await client.post(url, content=body, headers={**json_type, HEADER: SECRET})
    assert ok.status_code == 200 and ok.json()["status"] == "started", ok.text
    again = await client.post(url, content=body, headers={**json_type, HEADER: SECRET})
    assert again.json() == {"execution_id": ok.json()["execution_id"], "status": "duplicate"}
    query = json.dumps(
        {"update_id": 1002, "callback_query": {"id": "cb1", "data": "ok", "from": {"id": 42}}}
    ).encode()
    ignored = await client.post(url, content=query, headers={**json_type, HEADER: SECRET})
    assert ignored.json()["status"] == "ignored" and ignored.json()["event"] == "callback_query"

    [run] = await executions(client, wid)
    record = await finished_record(client, run["id"])
    item = {s["node_id"]: s for s in record["steps"]}["s"]["output"]["main"][0]
    assert item["event"] == "message" and item["text"] == "/status"
    assert item["headers"][HEADER.lower()] != SECRET  # masked
    assert SECRET not in json.dumps(record) and TOKEN not in json.dumps(record)


async def test_a_trigger_without_a_secret_refuses_everything(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await ensure_engine(runtime)
    iid = await add_integration(client, "telegram", {"bot_token": TOKEN}, name="Bot")
    await trigger_workflow(
        client, iid, "telegram.updates", {"path": "tg/open"}, name="bot", node_id="tg"
    )
    resp = await client.post(
        "/webhook/tg/open",
        content=update(1),
        headers={"content-type": "application/json", HEADER: "anything"},
    )
    assert resp.status_code == 401 and resp.json()["code"] == "webhook_auth_unavailable"

"""examples/telegram_bot.yaml through the real app against the local Bot API: an update
arrives on the webhook (secret token checked), the switch routes the command, the bot
replies in the same chat."""

from __future__ import annotations

import json

import httpx

from tests.integrations.telegram.fake_server import TOKEN, FakeTelegram
from tests.integrations.workflows import add_integration, example, save_active
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime

SECRET = "example-secret"


def update(update_id: int, text: str) -> bytes:
    message = {
        "message_id": 70 + update_id,
        "from": {"id": 42, "is_bot": False, "first_name": "Ada"},
        "chat": {"id": 42, "type": "private"},
        "date": 1700000000,
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def test_the_example_bot_answers(
    client: httpx.AsyncClient, runtime: Runtime, telegram_server: FakeTelegram
) -> None:
    host = await ensure_engine(runtime)
    creds = {"bot_token": TOKEN, "webhook_secret": SECRET, "base_url": telegram_server.url}
    iid = await add_integration(client, "telegram", creds, name="Bot")
    await save_active(client, example("telegram_bot.yaml", {"telegram": iid}))
    headers = {"content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    for n, text in enumerate(("/start", "/status now", "hello there"), start=1):
        resp = await client.post("/webhook/telegram/bot", content=update(n, text), headers=headers)
        assert resp.json()["status"] == "started", resp.text
        started = host.runner.running.get(resp.json()["execution_id"])
        if started is not None:
            await started.wait()
        await host.runner.store.flush()
        record = await client.get(f"/api/executions/{resp.json()['execution_id']}")
        assert record.json()["status"] == "success", record.json()
    welcome, status, echo = telegram_server.sent
    assert welcome["chat_id"] == 42 and welcome["text"].startswith("Hello Ada!")
    assert status["parse_mode"] == "HTML" and status["reply_parameters"] == {"message_id": 72}
    assert status["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://status.example"
    assert echo["text"] == "You said: hello there"

"""The Telegram integration's actions against a local Bot API (fake_server.py): the requests
sent (the token in the path, never in a message or record), Telegram's errors named,
parameters.retry_after honoured, photos by URL and by multipart upload."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer
from tests.integrations.telegram.fake_server import TOKEN, FakeTelegram, failed, too_many
from wirework.sdk.registry import registry


def tg_creds(server: FakeTelegram, **over: Any) -> Any:
    values = {"bot_token": TOKEN, "base_url": server.url, **over}
    return credentials(values, {"bot_token", "webhook_secret"}, name="Telegram bot")


async def test_send_message_with_markup_and_reply(telegram_server: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "Open", "url": "https://shop.example/o/42"}]]}
    params = {
        "chat_id": 42,
        "text": "Order *42* shipped",
        "parse_mode": "MarkdownV2",
        "reply_markup": markup,
        "reply_to_message_id": 7,
    }
    out = output(await run_node("telegram.send_message", params, tg_creds(telegram_server)))[0]
    assert out["chat_id"] == 42 and out["text"] == "Order *42* shipped" and out["message_id"]
    [sent] = telegram_server.seen("POST", f"/bot{TOKEN}/sendMessage")
    assert sent.json() == {
        "chat_id": 42,
        "text": "Order *42* shipped",
        "parse_mode": "MarkdownV2",
        "reply_markup": markup,
        "reply_parameters": {"message_id": 7},
    }


async def test_telegram_errors_are_named_without_the_token(telegram_server: FakeTelegram) -> None:
    run = await run_node(
        "telegram.send_message", {"chat_id": 7, "text": "hi"}, tg_creds(telegram_server)
    )
    assert failure(run) == (
        "Telegram answered HTTP 400 to POST /bot***/sendMessage: Bad Request: chat not found"
    )
    everything = json.dumps(run.record.error) + json.dumps(run.outputs, default=str)
    assert TOKEN not in everything and TOKEN.split(":")[1] not in everything
    wrong = "999:WrongTokenWrongTokenWrongToken"
    bad = await run_node(
        "telegram.send_message",
        {"chat_id": 42, "text": "hi"},
        tg_creds(telegram_server, bot_token=wrong),
    )
    assert failure(bad) == "Telegram answered HTTP 401 to POST /bot***/sendMessage: Unauthorized"
    assert wrong not in json.dumps(bad.record.error)


async def test_network_errors_hide_the_token(loopback: None) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    creds = credentials({"bot_token": TOKEN, "base_url": f"http://127.0.0.1:{port}"}, {"bot_token"})
    run = await run_node("telegram.send_message", {"chat_id": 42, "text": "x"}, creds)
    assert "Telegram" in failure(run) and "/bot***/sendMessage" in failure(run)
    assert TOKEN not in json.dumps(run.record.error)


async def test_retry_after_in_the_body_is_honoured(telegram_server: FakeTelegram) -> None:
    telegram_server.inject(too_many(0), too_many(0))
    out = output(
        await run_node(
            "telegram.send_message", {"chat_id": 42, "text": "x"}, tg_creds(telegram_server)
        )
    )
    assert out[0]["message_id"]
    assert len(telegram_server.seen("POST", f"/bot{TOKEN}/sendMessage")) == 3
    # A wait longer than a step may sleep: the step fails as retryable, naming the wait.
    telegram_server.inject(too_many(3600))
    run = await run_node(
        "telegram.send_message", {"chat_id": 42, "text": "x"}, tg_creds(telegram_server)
    )
    assert "HTTP 429" in failure(run) and "retry after 3600 s" in failure(run)


async def test_send_photo_by_url_and_by_upload(telegram_server: FakeTelegram) -> None:
    creds = tg_creds(telegram_server)
    by_url = output(
        await run_node(
            "telegram.send_photo",
            {"chat_id": 42, "photo_url": "https://img.example/cat.jpg", "caption": "cat"},
            creds,
        )
    )[0]
    assert by_url["caption"] == "cat"
    assert telegram_server.sent[-1]["photo"] == "https://img.example/cat.jpg"
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(200))
    item = {"shot": base64.b64encode(jpeg).decode()}
    params = {
        "chat_id": 42,
        "binary_field": "shot",
        "caption": "upload",
        "reply_markup": {"inline_keyboard": [[{"text": "ok", "callback_data": "ok"}]]},
    }
    output(await run_node("telegram.send_photo", params, creds, [item]))
    [_, upload] = telegram_server.seen("POST", f"/bot{TOKEN}/sendPhoto")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    fields = telegram_server.sent[-1]
    assert fields["photo"]["content"] == jpeg and fields["caption"] == "upload"
    assert fields["reply_markup"] == params["reply_markup"] and fields["chat_id"] == 42
    both = await run_node(
        "telegram.send_photo",
        {"chat_id": 42, "photo_url": "https://x.example/a.jpg", "binary_field": "shot"},
        creds,
        [item],
    )
    assert failure(both) == "params: give either photo_url or binary_field"


async def test_a_server_error_is_not_retried_for_a_send(telegram_server: FakeTelegram) -> None:
    telegram_server.inject(failed(502, "Bad Gateway"))
    run = await run_node(
        "telegram.send_message", {"chat_id": 42, "text": "x"}, tg_creds(telegram_server)
    )
    assert failure(run) == "Telegram answered HTTP 502 to POST /bot***/sendMessage: Bad Gateway"
    assert len(telegram_server.seen("POST", f"/bot{TOKEN}/sendMessage")) == 1
    assert run.record.error is not None


async def test_connection_test_is_get_me(telegram_server: FakeTelegram) -> None:
    tester = registry.tester("telegram")
    assert tester is not None
    ok, message = await tester(tg_creds(telegram_server))
    assert ok and message == "connected to Telegram as @wirework_bot"
    telegram_server.inject(
        Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    )
    ok, message = await tester(tg_creds(telegram_server))
    assert not ok and TOKEN not in message and "Unauthorized" in message


async def test_set_webhook_sends_the_secret_token(telegram_server: FakeTelegram) -> None:
    params = {
        "url": "https://wirework.acme.example/webhook/telegram/bot",
        "allowed_updates": ["message"],
    }
    creds = tg_creds(telegram_server, webhook_secret="hook_secret-1")
    out = output(await run_node("telegram.set_webhook", params, creds))[0]
    assert out == {"url": params["url"], "secret_token_set": True}
    assert telegram_server.webhook == {**params, "secret_token": "hook_secret-1"}
    plain = await run_node("telegram.set_webhook", {"url": "http://insecure.example/x"}, creds)
    assert "params.url" in failure(plain)

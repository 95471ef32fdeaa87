"""The Slack integration's actions against a local Slack (fake_server.py): the requests sent,
Slack's ``{"ok": false}`` errors named, the three-step file upload, cursor pagination and
rate limits retried."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer
from tests.integrations.slack.fake_server import TOKEN, FakeSlack
from wirework.sdk.registry import registry


def slack_creds(server: FakeSlack, **over: Any) -> Any:
    values = {"bot_token": TOKEN, "base_url": f"{server.url}/api", **over}
    return credentials(values, {"bot_token", "signing_secret"}, name="Slack acme")


async def test_post_message_with_blocks_in_a_thread(slack_server: FakeSlack) -> None:
    creds = slack_creds(slack_server)
    first = output(
        await run_node("slack.post_message", {"channel": "#general", "text": "hi"}, creds)
    )
    assert first[0]["channel"] == "C0GENERAL" and first[0]["ts"]
    [sent] = slack_server.seen("POST", "/api/chat.postMessage")
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.json() == {"channel": "#general", "text": "hi", "mrkdwn": True}
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]
    reply = output(
        await run_node(
            "slack.post_message",
            {"channel": "C0GENERAL", "blocks": blocks, "thread_ts": first[0]["ts"]},
            creds,
        )
    )[0]
    assert reply["thread_ts"] == first[0]["ts"]
    sent = slack_server.seen("POST", "/api/chat.postMessage")[-1].json()
    assert sent["blocks"] == blocks and sent["thread_ts"] == first[0]["ts"]
    assert sent["reply_broadcast"] is False


async def test_slack_errors_in_ok_false_answers_are_named(slack_server: FakeSlack) -> None:
    run = await run_node(
        "slack.post_message", {"channel": "#nope", "text": "hi"}, slack_creds(slack_server)
    )
    assert failure(run) == (
        "Slack answered HTTP 200 to POST /api/chat.postMessage: channel_not_found "
        "(the channel does not exist, or the bot cannot see it)"
    )
    assert run.record.error is not None
    assert run.record.error["details"]["service_message"].startswith("channel_not_found")
    bad = await run_node(
        "slack.post_message",
        {"channel": "#general", "blocks": [{"text": "no type"}]},
        slack_creds(slack_server),
    )
    assert "invalid_blocks" in failure(bad) and "missing required field: type" in failure(bad)
    # Neither text nor blocks: refused before anything is sent.
    sent = len(slack_server.requests)
    empty = await run_node("slack.post_message", {"channel": "#general"}, slack_creds(slack_server))
    assert failure(empty) == "params: give text or blocks (or both)"
    assert len(slack_server.requests) == sent


async def test_a_wrong_token_is_invalid_auth_without_the_token(slack_server: FakeSlack) -> None:
    run = await run_node(
        "slack.post_message",
        {"channel": "#general", "text": "x"},
        slack_creds(slack_server, bot_token="xoxb-wrong-token-value"),
    )
    assert "invalid_auth (the bot token is not valid)" in failure(run)
    assert "xoxb-wrong-token-value" not in json.dumps(run.record.error)
    assert "xoxb-wrong-token-value" not in json.dumps(run.outputs, default=str)


async def test_update_message(slack_server: FakeSlack) -> None:
    creds = slack_creds(slack_server)
    posted = output(
        await run_node("slack.post_message", {"channel": "#general", "text": "a"}, creds)
    )
    ts = posted[0]["ts"]
    updated = output(
        await run_node(
            "slack.update_message", {"channel": "C0GENERAL", "ts": ts, "text": "b"}, creds
        )
    )[0]
    assert updated == {"channel": "C0GENERAL", "ts": ts, "text": "b", "thread_ts": None}
    assert slack_server.messages["C0GENERAL"][0]["text"] == "b"
    missing = await run_node(
        "slack.update_message", {"channel": "C0GENERAL", "ts": "1.2", "text": "b"}, creds
    )
    assert "message_not_found" in failure(missing)


async def test_upload_a_text_file_in_three_steps(slack_server: FakeSlack) -> None:
    creds = slack_creds(slack_server)
    params = {
        "channel": "C0GENERAL",
        "filename": "report.csv",
        "content": "id,total\n1,9\n",
        "title": "Daily report",
        "initial_comment": "Here it is",
    }
    out = output(await run_node("slack.upload_file", params, creds))[0]
    assert out["title"] == "Daily report" and out["permalink"].endswith(out["file_id"])
    paths = [r.path for r in slack_server.requests]
    assert paths == [
        "/api/files.getUploadURLExternal",
        f"/upload/v1/{out['file_id']}",
        "/api/files.completeUploadExternal",
    ]
    first, upload, complete = slack_server.requests
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"
    assert complete.headers["authorization"] == f"Bearer {TOKEN}"
    assert "authorization" not in upload.headers  # the token stays on slack.com
    assert slack_server.uploads[out["file_id"]]["content"] == b"id,total\n1,9\n"
    [shared] = slack_server.shared
    assert shared["channel"] == "C0GENERAL" and shared["initial_comment"] == "Here it is"


async def test_upload_a_binary_field_of_the_item(slack_server: FakeSlack) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    item = {
        "file": {
            "filename": "chart.png",
            "content_type": "image/png",
            "data": base64.b64encode(png).decode(),
        }
    }
    params = {"channel": "C0GENERAL", "filename": "chart.png", "binary_field": "file"}
    out = output(await run_node("slack.upload_file", params, slack_creds(slack_server), [item]))[0]
    assert slack_server.uploads[out["file_id"]]["content"] == png and out["size"] == len(png)
    bad = await run_node(
        "slack.upload_file",
        {**params, "binary_field": "nothing"},
        slack_creds(slack_server),
        [item],
    )
    assert failure(bad) == "params.binary_field: the item has no field 'nothing'"


async def test_list_channels_follows_cursors_to_the_end_or_the_max(slack_server: FakeSlack) -> None:
    for i in range(450):
        slack_server.add_channel(f"C{i:08d}", f"chan-{i}", archived=i % 50 == 0)
    creds = slack_creds(slack_server)
    every = output(await run_node("slack.list_channels", {}, creds))
    assert len(every) == 1 + 450 - 9  # archived ones left out
    pages = slack_server.seen("GET", "/api/conversations.list")
    assert len(pages) == 3 and pages[1].query["cursor"] == "offset-200"
    assert pages[0].query["types"] == "public_channel" and pages[0].query["limit"] == "200"
    some = output(await run_node("slack.list_channels", {"max_results": 250}, creds))
    assert len(some) == 250
    assert slack_server.seen("GET", "/api/conversations.list")[-1].query["limit"] == "50"


async def test_rate_limits_are_retried_after_retry_after(slack_server: FakeSlack) -> None:
    slack_server.inject(Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    out = output(
        await run_node(
            "slack.post_message", {"channel": "#general", "text": "x"}, slack_creds(slack_server)
        )
    )
    assert out[0]["ts"]
    assert len(slack_server.seen("POST", "/api/chat.postMessage")) == 2


async def test_connection_test_is_auth_test(slack_server: FakeSlack) -> None:
    tester = registry.tester("slack")
    assert tester is not None
    ok, message = await tester(slack_creds(slack_server))
    assert ok and message == "connected to Slack workspace Acme as wirework-bot"
    ok, message = await tester(slack_creds(slack_server, bot_token="xoxb-bad"))
    assert not ok and "invalid_auth" in message and "xoxb-bad" not in message

"""Slack's Events API trigger through the real app, on every database: Slack's v0 signature
with the signing secret (forged, stale and missing ones refused), the url_verification
challenge answered without a run, retries of an event_id dropped, event types filtered."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from tests.integrations.conftest import finished_record
from tests.integrations.slack.fake_server import TOKEN
from tests.integrations.workflows import add_integration, executions, trigger_workflow
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime

SIGNING = "8f742231b10e8888abcd99yyyzzz85a5"


def signed(body: bytes, secret: str = SIGNING, ts: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def callback(event_id: str, kind: str, text: str = "hello") -> bytes:
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T0ACME",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1700000000,
            "event": {
                "type": kind,
                "user": "U0USER",
                "text": text,
                "channel": "C0GENERAL",
                "ts": "1700000000.000100",
            },
        }
    ).encode()


async def workflow(client: httpx.AsyncClient, events: list[str]) -> int:
    iid = await add_integration(
        client, "slack", {"bot_token": TOKEN, "signing_secret": SIGNING}, name="Slack"
    )
    return await trigger_workflow(
        client,
        iid,
        "slack.events",
        {"path": "slack/events", "events": events},
        {"said": "{{ json.body.event.text }}"},
        name="on mentions",
        node_id="slack",
    )


async def test_events_api_deliveries(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await ensure_engine(runtime)
    wid = await workflow(client, ["app_mention"])
    url = "/webhook/slack/events"

    # The handshake: answered with its challenge once the signature holds; no run.
    challenge = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    ok = await client.post(url, content=challenge, headers=signed(challenge))
    assert ok.status_code == 200
    assert ok.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    forged = await client.post(url, content=challenge, headers=signed(challenge, "not-it"))
    assert forged.status_code == 401 and "challenge" not in forged.text

    # Signatures: a stale timestamp, a tampered body, a missing header are refused.
    body = callback("Ev01", "app_mention", "<@U0BOT> deploy")
    stale = await client.post(url, content=body, headers=signed(body, ts=int(time.time()) - 600))
    assert stale.status_code == 401
    tampered = await client.post(url, content=body + b" ", headers=signed(body))
    assert tampered.status_code == 401
    headers = signed(body)
    del headers["X-Slack-Signature"]
    assert (await client.post(url, content=body, headers=headers)).status_code == 401

    # A mention starts a run; Slack's retry of the same event_id does not.
    started = await client.post(url, content=body, headers=signed(body))
    assert started.status_code == 200 and started.json()["status"] == "started", started.text
    retry = await client.post(
        url,
        content=body,
        headers={**signed(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.json() == {"execution_id": started.json()["execution_id"], "status": "duplicate"}
    # Another event type is answered 200 (Slack must not retry it) without a run.
    other = callback("Ev02", "reaction_added")
    ignored = await client.post(url, content=other, headers=signed(other))
    assert ignored.status_code == 200 and ignored.json()["status"] == "ignored"
    assert ignored.json()["event"] == "reaction_added"

    [run] = await executions(client, wid)
    record = await finished_record(client, run["id"])
    item = {s["node_id"]: s for s in record["steps"]}["s"]["output"]["main"][0]
    assert item["event"] == "app_mention" and item["said"] == "<@U0BOT> deploy"
    assert item["body"]["event_id"] == "Ev01"
    assert SIGNING not in json.dumps(record)


async def test_every_event_type_without_a_filter(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await ensure_engine(runtime)
    wid = await workflow(client, [])
    for n, kind in enumerate(("message", "app_mention")):
        body = callback(f"Ev1{n}", kind)
        resp = await client.post("/webhook/slack/events", content=body, headers=signed(body))
        assert resp.json()["status"] == "started", resp.text
    assert len(await executions(client, wid)) == 2

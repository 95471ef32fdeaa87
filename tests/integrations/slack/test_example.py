"""examples/github_issue_to_slack.yaml through the real app: a signed GitHub ``issues``
delivery for an opened issue becomes a Slack message with blocks in #triage (local Slack);
other actions post nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from tests.integrations.slack.fake_server import TOKEN, FakeSlack
from tests.integrations.workflows import add_integration, example, save_active
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime

HOOK_SECRET = "gh-hook-secret"


async def test_opened_issues_are_announced(
    client: httpx.AsyncClient, runtime: Runtime, slack_server: FakeSlack
) -> None:
    host = await ensure_engine(runtime)
    slack_server.add_channel("C0TRIAGE", "triage")
    ids = {}
    for kind, creds in (
        ("github", {"token": "ghp_example", "webhook_secret": HOOK_SECRET}),
        ("slack", {"bot_token": TOKEN, "base_url": f"{slack_server.url}/api"}),
    ):
        ids[kind] = await add_integration(client, kind, creds, name=kind)
    await save_active(client, example("github_issue_to_slack.yaml", ids))
    for n, action in enumerate(("opened", "labeled")):
        body = json.dumps(
            {
                "action": action,
                "issue": {
                    "number": 7,
                    "title": "Crash on save",
                    "html_url": "https://github.com/acme/app/issues/7",
                    "user": {"login": "ada"},
                },
                "repository": {"full_name": "acme/app"},
            }
        ).encode()
        signature = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        resp = await client.post(
            "/webhook/github/acme-app",
            content=body,
            headers={
                "content-type": "application/json",
                "X-GitHub-Event": "issues",
                "X-GitHub-Delivery": f"d-{n}",
                "X-Hub-Signature-256": f"sha256={signature}",
            },
        )
        assert resp.json()["status"] == "started", resp.text
        started = host.runner.running.get(resp.json()["execution_id"])
        if started is not None:
            await started.wait()
    [message] = slack_server.messages["C0TRIAGE"]
    assert message["text"] == "New issue #7: Crash on save"
    section, actions = message["blocks"]
    assert "opened by ada in acme/app" in section["text"]["text"]
    assert actions["elements"][0]["url"] == "https://github.com/acme/app/issues/7"

"""The Google Sheets and Jira webhook examples (examples/*.yaml) run end to end through the
API, on every database, against the local Google and the local Jira: the sheet and the issues
they change, and no secret in what the executions recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.integrations.google_sheets.fake_server import CLIENT_EMAIL, SHEET_ID, FakeGoogle
from tests.integrations.jira.fake_server import EMAIL, TOKEN, FakeJira

EXAMPLES = Path(__file__).parents[3] / "examples"
EXAMPLE_SHEET = "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"


async def integrations(
    client: httpx.AsyncClient, google: FakeGoogle, key: str, jira: FakeJira | None = None
) -> dict[int, int]:
    """The examples' integration ids (1: Google Sheets, 2: Jira) → the ones made here."""
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Sheets bot",
            "type": "google_sheets",
            "credentials": {
                "base_url": google.url,
                "token_url": google.token_url,
                "client_email": CLIENT_EMAIL,
                "private_key": key,
            },
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["credentials"]["private_key"] == "********"
    ids = {1: int(made.json()["id"])}
    if jira is not None:
        made = await client.post(
            "/api/integrations",
            json={
                "name": "Jira",
                "type": "jira",
                "credentials": {"base_url": jira.url, "email": EMAIL, "api_token": TOKEN},
            },
        )
        assert made.status_code == 201, made.text
        ids[2] = int(made.json()["id"])
    return ids


async def run_example(
    client: httpx.AsyncClient, name: str, ids: dict[int, int], given: Any = None
) -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / name).read_text())
    for node in doc["nodes"]:
        if "integration_id" in node:
            node["integration_id"] = ids[node["integration_id"]]
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    assert resp.json()["warnings"] == []
    body = {"input": given} if given is not None else {}
    run = await client.post(f"/api/workflows/{resp.json()['id']}/execute?wait=true", json=body)
    assert run.status_code == 200, run.text
    record: dict[str, Any] = run.json()
    assert record["status"] == "success", record["error"]
    full = await client.get(f"/api/executions/{record['id']}")
    assert "PRIVATE KEY" not in json.dumps(full.json()) and TOKEN not in json.dumps(full.json())
    return record


def share(google: FakeGoogle, sheet: str, rows: list[list[Any]]) -> list[list[Any]]:
    google.sheets[EXAMPLE_SHEET] = google.sheets.pop(SHEET_ID, {})
    google.sheets[EXAMPLE_SHEET][sheet] = rows
    return rows


async def test_form_to_sheet(
    client: httpx.AsyncClient, google_server: FakeGoogle, sa_pem: str
) -> None:
    rows = share(google_server, "Sign-ups", [["Name", "Email", "Plan", "Signed up", "Source"]])
    ids = await integrations(client, google_server, sa_pem)
    record = await run_example(
        client,
        "form_to_sheet.yaml",
        ids,
        {"body": {"name": "Ada", "email": "Ada@Example.com"}, "query": {"utm_source": "news"}},
    )
    assert record["result"] == [{"ok": True, "row": "'Sign-ups'!A2:E2"}]
    assert rows[1][:3] == ["Ada", "ada@example.com", "free"] and rows[1][4] == "news"


async def test_hot_leads_to_jira(
    client: httpx.AsyncClient, google_server: FakeGoogle, jira_server: FakeJira, sa_pem: str
) -> None:
    jira_server.projects["SALES"] = "10002"
    rows = share(
        google_server,
        "Leads",
        [
            ["Name", "Company", "Email", "Score", "Status", "Ticket"],
            ["Ada", "Analytical", "ada@example.com", 91],
            ["Bob", "Builders", "bob@example.com", 40],
            ["Cy", "Cyclops", "cy@example.com", 85, "called"],
            ["Dee", "Delta", "dee@example.com", 80],
        ],
    )
    ids = await integrations(client, google_server, sa_pem, jira_server)
    await run_example(client, "sheet_leads_to_jira.yaml", ids)
    created = jira_server.seen("POST", "/rest/api/3/issue")
    assert [r.json()["fields"]["summary"] for r in created] == [
        "Call Ada (Analytical)",
        "Call Dee (Delta)",
    ]
    assert rows[1][4:] == ["in Jira", "SALES-1"] and rows[4][4:] == ["in Jira", "SALES-2"]
    assert rows[2][4:] == [] and rows[3][4:] == ["called"]


async def test_jira_webhook_triage(
    client: httpx.AsyncClient, google_server: FakeGoogle, jira_server: FakeJira, sa_pem: str
) -> None:
    rows = share(google_server, "Triage", [["Key", "Summary", "Priority", "Reporter", "At"]])
    key = jira_server.add_issue("BUG", "Checkout is down")
    ids = await integrations(client, google_server, sa_pem, jira_server)
    event = {
        "webhookEvent": "jira:issue_created",
        "user": {"displayName": "Ada"},
        "issue": {
            "key": key,
            "fields": {"summary": "Checkout is down", "priority": {"name": "Highest"}},
        },
    }
    await run_example(client, "jira_webhook_triage.yaml", ids, {"body": event})
    assert rows[1][:4] == [key, "Checkout is down", "Highest", "Ada"]
    [comment] = jira_server.comments[key]
    text = comment["body"]["content"][0]["content"][0]["text"]
    assert text == "Logged for triage (Triage!A2:E2)."

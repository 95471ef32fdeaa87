"""Through the API, on every database, against the local Google (and the local Jira): the
Google Sheets and Jira webhook examples (examples/*.yaml) run end to end (the sheet and the
issues they change, no secret in what the executions recorded), and an OAuth2 integration
connected with the Connect flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import yaml

from tests.integrations.google_sheets.fake_server import (
    CLIENT_EMAIL,
    CLIENT_ID,
    CLIENT_SECRET,
    SHEET_ID,
    FakeGoogle,
)
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


async def test_oauth2_connect_then_read(
    client: httpx.AsyncClient, google_server: FakeGoogle
) -> None:
    """The editor's Connect button with Google's defaults: offline access (a refresh token),
    the spreadsheets scope, PKCE; the stored tokens then read the sheet."""
    share(google_server, "Sheet1", [["Name"], ["Ada"]])
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Sheets (me)",
            "type": "google_sheets",
            "credentials": {
                "kind": "oauth2",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "token_url": google_server.token_url,
                "base_url": google_server.url,
            },
        },
    )
    assert made.status_code == 201, made.text
    iid = made.json()["id"]
    start = await client.post(f"/api/integrations/{iid}/oauth2/authorize", json={})
    assert start.status_code == 200, start.text
    url = urlsplit(start.json()["authorize_url"])
    query = parse_qs(url.query)
    assert url.netloc == "accounts.google.com" and url.path == "/o/oauth2/v2/auth"
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["scope"] == ["https://www.googleapis.com/auth/spreadsheets"]
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    google_server.codes["4/granted"] = query["code_challenge"][0]
    done = await client.get(
        "/api/oauth2/callback", params={"code": "4/granted", "state": query["state"][0]}
    )
    assert done.status_code == 200, done.text
    assert done.json()["connected"] and done.json()["has_refresh_token"]
    tested = await client.post("/api/integrations/test", json={"integration_id": iid})
    assert tested.json()["ok"] is True, tested.json()
    doc = {
        "name": "read",
        "nodes": [
            {"id": "start", "type": "core.manual"},
            {
                "id": "read",
                "type": "google_sheets.read_rows",
                "integration_id": iid,
                "params": {"spreadsheet_id": EXAMPLE_SHEET, "row_number_field": None},
            },
        ],
        "connections": [{"from": "start", "to": "read"}],
    }
    wid = (await client.post("/api/workflows", json=doc)).json()["id"]
    run = await client.post(f"/api/workflows/{wid}/execute?wait=true", json={})
    assert run.json()["status"] == "success", run.json()["error"]
    assert run.json()["result"] == [{"Name": "Ada"}]

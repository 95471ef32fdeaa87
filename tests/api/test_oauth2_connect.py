"""Connecting an OAuth2 (authorization code) integration through the API, on every database:
the authorize URL (PKCE), the callback storing the tokens encrypted, the integration then
working with them. Uses the example plugin's acme_calendar type (make install)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.integrations.fakes import Answer, Request, serving
from tests.sdk.test_oauth2 import CLIENT_ID, CLIENT_SECRET, FakeProvider
from wirework.sdk.integration import close_pools
from wirework.sdk.integration.tokens import forget_tokens
from wirework.sdk.outbound import OutboundPolicy, set_policy
from wirework.sdk.registry import registry

pytestmark = pytest.mark.skipif(
    registry.definition("acme_calendar") is None,
    reason="the example plugin is not installed (make install)",
)


class FakeCalendar(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/me", self._me)
        self.route("POST", "/events", self._event)

    def _event(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.current}":
            return Answer(401, {"message": "token expired"})
        return Answer(201, {"id": "ev1", **(request.json() or {})})


@pytest.fixture
async def calendar() -> AsyncIterator[FakeCalendar]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    with serving(FakeCalendar()) as fake:
        assert isinstance(fake, FakeCalendar)
        yield fake
    set_policy(None)
    forget_tokens()
    await close_pools()


async def test_connect_then_use(client: httpx.AsyncClient, calendar: FakeCalendar) -> None:
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Calendar",
            "type": "acme_calendar",
            "credentials": {
                "grant": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "token_url": f"{calendar.url}/token",
                "authorize_url": "https://provider.example/authorize",
                "base_url": calendar.url,
                "scope": "events",
            },
        },
    )
    assert made.status_code == 201, made.text
    iid = made.json()["id"]
    start = await client.post(f"/api/integrations/{iid}/oauth2/authorize", json={})
    assert start.status_code == 200, start.text
    url = urlsplit(start.json()["authorize_url"])
    query = parse_qs(url.query)
    assert url.netloc == "provider.example" and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"][0].endswith("/api/oauth2/callback")
    assert query["state"] == [start.json()["state"]]
    calendar.challenges["granted"] = query["code_challenge"][0]
    forged = await client.get(
        "/api/oauth2/callback", params={"code": "granted", "state": "not-ours"}
    )
    assert forged.status_code == 422 and "state" in forged.text
    done = await client.get(
        "/api/oauth2/callback", params={"code": "granted", "state": query["state"][0]}
    )
    assert done.status_code == 200, done.text
    assert done.json()["connected"] and done.json()["has_refresh_token"]
    shown = (await client.get(f"/api/integrations/{iid}")).json()["credentials"]
    assert shown["access_token"] == "********" and shown["refresh_token"] == "********"
    assert "access-1" not in str(shown)
    tested = await client.post("/api/integrations/test", json={"integration_id": iid})
    assert tested.json() == {"ok": True, "supported": True, "message": "connected as robot"}


async def test_client_credentials_has_nothing_to_connect(
    client: httpx.AsyncClient, calendar: FakeCalendar
) -> None:
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Calendar cc",
            "type": "acme_calendar",
            "credentials": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "token_url": f"{calendar.url}/token",
                "base_url": calendar.url,
            },
        },
    )
    iid = made.json()["id"]
    resp = await client.post(f"/api/integrations/{iid}/oauth2/authorize", json={})
    assert resp.status_code == 422 and "credentials.grant" in resp.text
    tested = await client.post("/api/integrations/test", json={"integration_id": iid})
    assert tested.json()["ok"] is True, tested.json()  # a client-credentials token was fetched


async def test_a_step_refreshes_and_stores_the_tokens(
    client: httpx.AsyncClient, calendar: FakeCalendar
) -> None:
    calendar._new()  # the user connected earlier: access-1 / refresh-1, now expired
    made = await client.post(
        "/api/integrations",
        json={
            "name": "Calendar stale",
            "type": "acme_calendar",
            "credentials": {
                "grant": "authorization_code",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "token_url": f"{calendar.url}/token",
                "base_url": calendar.url,
                "access_token": "access-1",
                "refresh_token": "refresh-1",
                "expires_at": 1000,
            },
        },
    )
    assert made.status_code == 201, made.text
    iid = made.json()["id"]
    doc = {
        "name": "event",
        "nodes": [
            {"id": "m", "type": "core.manual"},
            {
                "id": "e",
                "type": "acme_calendar.create_event",
                "integration_id": iid,
                "params": {"title": "Standup", "start": "2026-12-08T09:00:00Z"},
            },
        ],
        "connections": [{"from": "m", "to": "e"}],
    }
    wid = (await client.post("/api/workflows", json=doc)).json()["id"]
    run = await client.post(f"/api/workflows/{wid}/execute?wait=true", json={})
    record = run.json()
    assert record["status"] == "success", record["error"]
    assert record["result"] == [{"id": "ev1", "title": "Standup", "start": "2026-12-08T09:00:00Z"}]
    shown = (await client.get(f"/api/integrations/{iid}")).json()["credentials"]
    assert shown["expires_at"] > 1000 and shown["refresh_token"] == "********"
    full = (await client.get(f"/api/executions/{record['id']}")).json()
    assert "access-2" not in str(full) and "refresh-2" not in str(full)

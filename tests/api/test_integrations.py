"""Integrations: credentials checked against the type, secrets encrypted and always masked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from wirework.db.models import Integration
from wirework.sdk.registry import registry
from wirework.services import auth, integrations
from wirework.services.runtime import Runtime
from wirework.vault import MASK

SECRET = "s3cr3t-t0ken-💥-value"
JIRA = {
    "name": "tracker",
    "display_name": "Tracker",
    "parameters": [
        {"name": "base_url", "type": "string", "required": True},
        {"name": "email", "type": "string", "required": True},
        {"name": "api_token", "type": "password", "required": True},
        {"name": "timeout", "type": "number", "default": 30},
        {"name": "verify", "type": "boolean", "default": True},
        {"name": "flavour", "type": "select", "options": ["cloud", "server"], "default": "cloud"},
        {"name": "extra", "type": "json"},
        {"name": "webhook_secret", "type": "password"},
    ],
}
CREDS = {"base_url": "https://acme.example", "email": "bot@acme.example", "api_token": SECRET}


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


@pytest.fixture
async def jira(client: httpx.AsyncClient) -> dict[str, Any]:
    resp = await client.post("/api/integration-types", json=JIRA)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def create(
    client: httpx.AsyncClient, name: str = "Jira - acme", **creds: Any
) -> httpx.Response:
    return await client.post(
        "/api/integrations",
        json={"name": name, "type": "tracker", "credentials": {**CREDS, **creds}},
    )


async def stored(runtime: Runtime, integration_id: int) -> dict[str, Any]:
    async with runtime.sessionmaker() as session:
        row = await session.get(Integration, integration_id)
        assert row is not None
        return integrations.decrypted_credentials(row, runtime.vault)


def fields(resp: httpx.Response) -> list[str]:
    return [e["field"] for e in resp.json()["errors"]]


async def test_create_masks_and_encrypts(
    client: httpx.AsyncClient, jira: dict[str, Any], runtime: Runtime
) -> None:
    resp = await create(client)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert SECRET not in resp.text
    assert body["type"] == "tracker" and body["integration_type_id"] == jira["id"]
    assert body["active"] is True
    assert body["credentials"] == {
        "base_url": "https://acme.example",
        "email": "bot@acme.example",
        "api_token": MASK,  # set secrets show as the mask; the unset webhook_secret is absent
        "timeout": 30,
        "verify": True,
        "flavour": "cloud",
    }
    iid = body["id"]
    for resp in (
        await client.get(f"/api/integrations/{iid}"),
        await client.get("/api/integrations"),
    ):
        assert resp.status_code == 200
        assert SECRET not in resp.text and MASK in resp.text
    # Encrypted at rest: no table holds the secret in clear.
    async with runtime.engine.connect() as conn:
        for table in ("integrations", "integration_types", "system_settings"):
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()
            assert SECRET not in repr(rows) and SECRET.encode() not in repr(rows).encode()
    async with runtime.sessionmaker() as session:
        row = await session.get(Integration, iid)
        assert row is not None and row.secrets is not None
        assert "api_token" not in row.config
        assert runtime.vault.decrypt_json(row.secrets) == {"api_token": SECRET}
    assert (await stored(runtime, iid))["api_token"] == SECRET


async def test_type_without_secrets(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await client.post(
        "/api/integration-types", json={"name": "plain", "parameters": [{"name": "url"}]}
    )
    resp = await client.post(
        "/api/integrations", json={"name": "p", "type": "plain", "credentials": {"url": "u"}}
    )
    assert resp.status_code == 201 and resp.json()["credentials"] == {"url": "u"}
    async with runtime.sessionmaker() as session:
        row = await session.get(Integration, resp.json()["id"])
        assert row is not None and row.secrets is None


@pytest.mark.parametrize(
    ("creds", "field", "needle"),
    [
        ({"base_url": None}, "credentials.base_url", "is required"),
        ({"api_token": None}, "credentials.api_token", "is required"),
        ({"timeout": "thirty"}, "credentials.timeout", "number"),
        ({"timeout": True}, "credentials.timeout", "number"),
        ({"verify": "yes"}, "credentials.verify", "true or false"),
        ({"base_url": 5}, "credentials.base_url", "string"),
        ({"api_token": 12345}, "credentials.api_token", "string"),
        ({"flavour": "on-prem"}, "credentials.flavour", "one of"),
        ({"surprise": 1}, "credentials.surprise", "unknown field"),
        ({"api_token": MASK}, "credentials.api_token", "mask"),
    ],
)
async def test_credentials_are_validated(
    client: httpx.AsyncClient, jira: dict[str, Any], creds: dict[str, Any], field: str, needle: str
) -> None:
    payload = {k: v for k, v in {**CREDS, **creds}.items() if v is not None}
    resp = await client.post(
        "/api/integrations", json={"name": "bad", "type": "tracker", "credentials": payload}
    )
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["code"] == "validation_error"
    assert fields(resp) == [field]
    assert needle in body["errors"][0]["message"]
    assert body["detail"].startswith(field)
    assert SECRET not in resp.text
    assert (await client.get("/api/integrations")).json() == []


async def test_all_problems_are_reported(client: httpx.AsyncClient, jira: dict[str, Any]) -> None:
    resp = await client.post(
        "/api/integrations",
        json={"name": "bad", "type": "tracker", "credentials": {"timeout": "x", "nope": 1}},
    )
    assert resp.status_code == 422
    assert set(fields(resp)) == {
        "credentials.nope",
        "credentials.base_url",
        "credentials.email",
        "credentials.api_token",
        "credentials.timeout",
    }
    assert "more" in resp.json()["detail"]


async def test_unknown_type(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/api/integrations", json={"name": "x", "type": "nosuch", "credentials": {}}
    )
    assert resp.status_code == 422
    assert fields(resp) == ["type"] and "nosuch" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "tracker"}, "name"),
        ({"name": "", "type": "tracker"}, "name"),
        ({"name": "x"}, "type"),
        ({"name": "x", "type": "tracker", "credentials": []}, "credentials"),
        ({"name": "x", "type": "tracker", "active": "very"}, "active"),
        ({"name": "x", "type": "tracker", "owner": 1}, "owner"),
    ],
)
async def test_request_shape_is_validated(
    client: httpx.AsyncClient, jira: dict[str, Any], payload: dict[str, Any], field: str
) -> None:
    resp = await client.post("/api/integrations", json=payload)
    assert resp.status_code == 422, resp.text
    assert fields(resp)[0].removeprefix("body.") == field


async def test_duplicate_name(client: httpx.AsyncClient, jira: dict[str, Any]) -> None:
    assert (await create(client, "one")).status_code == 201
    resp = await create(client, "one")
    assert resp.status_code == 409 and resp.json()["detail"].startswith("name:")
    two = (await create(client, "two")).json()
    resp = await client.patch(f"/api/integrations/{two['id']}", json={"name": "one"})
    assert resp.status_code == 409
    # Renaming to its own name is fine.
    resp = await client.patch(f"/api/integrations/{two['id']}", json={"name": "two"})
    assert resp.status_code == 200


async def test_update_keeps_masked_secret(
    client: httpx.AsyncClient, jira: dict[str, Any], runtime: Runtime
) -> None:
    created = (await create(client)).json()
    iid = created["id"]
    # Send back what was shown (the mask included), changing one field.
    shown = {**created["credentials"], "email": "new@acme.example"}
    resp = await client.patch(f"/api/integrations/{iid}", json={"credentials": shown})
    assert resp.status_code == 200, resp.text
    assert resp.json()["credentials"]["api_token"] == MASK
    assert resp.json()["credentials"]["email"] == "new@acme.example"
    creds = await stored(runtime, iid)
    assert creds["api_token"] == SECRET and creds["email"] == "new@acme.example"
    assert "webhook_secret" not in creds

    # Omitted fields are kept too.
    resp = await client.patch(f"/api/integrations/{iid}", json={"credentials": {"timeout": 5}})
    assert resp.status_code == 200
    creds = await stored(runtime, iid)
    assert creds["api_token"] == SECRET and creds["timeout"] == 5

    # A new secret replaces the old; PUT behaves the same.
    resp = await client.put(
        f"/api/integrations/{iid}", json={"credentials": {"api_token": "rotated-token"}}
    )
    assert resp.status_code == 200 and "rotated-token" not in resp.text
    assert (await stored(runtime, iid))["api_token"] == "rotated-token"

    # An optional secret set later shows masked too, and is kept by the mask.
    resp = await client.patch(
        f"/api/integrations/{iid}", json={"credentials": {"webhook_secret": "hook-secret"}}
    )
    assert resp.json()["credentials"]["webhook_secret"] == MASK and "hook-secret" not in resp.text
    resp = await client.put(
        f"/api/integrations/{iid}", json={"credentials": resp.json()["credentials"]}
    )
    assert resp.status_code == 200, resp.text
    creds = await stored(runtime, iid)
    assert creds["webhook_secret"] == "hook-secret" and creds["api_token"] == "rotated-token"

    # Invalid updates change nothing.
    resp = await client.patch(f"/api/integrations/{iid}", json={"credentials": {"flavour": "x"}})
    assert resp.status_code == 422 and fields(resp) == ["credentials.flavour"]
    assert (await stored(runtime, iid))["flavour"] == "cloud"
    resp = await client.patch(f"/api/integrations/{iid}", json={"credentials": {"bogus": 1}})
    assert resp.status_code == 422 and fields(resp) == ["credentials.bogus"]


async def test_round_trip_of_shown_credentials(
    client: httpx.AsyncClient, jira: dict[str, Any], runtime: Runtime
) -> None:
    """A client may PUT back exactly what GET showed it."""
    created = (await create(client)).json()
    resp = await client.put(
        f"/api/integrations/{created['id']}", json={"credentials": created["credentials"]}
    )
    assert resp.status_code == 200, resp.text
    creds = await stored(runtime, created["id"])
    assert creds["api_token"] == SECRET
    assert "webhook_secret" not in creds


async def test_update_name_active_and_unknown(
    client: httpx.AsyncClient, jira: dict[str, Any]
) -> None:
    iid = (await create(client)).json()["id"]
    resp = await client.patch(f"/api/integrations/{iid}", json={"name": "renamed", "active": False})
    assert resp.status_code == 200
    assert resp.json()["name"] == "renamed" and resp.json()["active"] is False
    assert (await client.patch("/api/integrations/999999", json={"name": "x"})).status_code == 404
    resp = await client.patch(f"/api/integrations/{iid}", json={"type": "other"})
    assert resp.status_code == 422


async def test_activate_deactivate_delete(client: httpx.AsyncClient, jira: dict[str, Any]) -> None:
    iid = (await create(client)).json()["id"]
    resp = await client.post(f"/api/integrations/{iid}/deactivate")
    assert resp.status_code == 200 and resp.json()["active"] is False
    assert SECRET not in resp.text
    assert (await client.get(f"/api/integrations/{iid}")).json()["active"] is False
    resp = await client.post(f"/api/integrations/{iid}/activate")
    assert resp.status_code == 200 and resp.json()["active"] is True
    assert (await client.post("/api/integrations/999999/activate")).status_code == 404
    assert (await client.post("/api/integrations/999999/deactivate")).status_code == 404

    assert (await client.delete(f"/api/integrations/{iid}")).status_code == 204
    assert (await client.get(f"/api/integrations/{iid}")).status_code == 404
    assert (await client.delete(f"/api/integrations/{iid}")).status_code == 404
    # The type can go now that nothing uses it.
    assert (await client.delete(f"/api/integration-types/{jira['id']}")).status_code == 204


async def test_list_filter_by_type(client: httpx.AsyncClient, jira: dict[str, Any]) -> None:
    await client.post("/api/integration-types", json={"name": "plain"})
    await create(client, "j1")
    await client.post("/api/integrations", json={"name": "p1", "type": "plain"})
    await create(client, "j2")
    assert [i["name"] for i in (await client.get("/api/integrations")).json()] == ["j1", "p1", "j2"]
    resp = await client.get("/api/integrations", params={"type": "tracker"})
    assert [i["name"] for i in resp.json()] == ["j1", "j2"]
    resp = await client.get("/api/integrations", params={"type": "nosuch"})
    assert resp.status_code == 200 and resp.json() == []


async def test_test_without_a_tester(client: httpx.AsyncClient, jira: dict[str, Any]) -> None:
    iid = (await create(client)).json()["id"]
    for payload in ({"integration_id": iid}, {"type": "tracker", "credentials": CREDS}):
        resp = await client.post("/api/integrations/test", json=payload)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["ok"] is False and body["supported"] is False
        assert "'tracker'" in body["message"]
        assert SECRET not in resp.text


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({}, 422, "integration_id"),
        ({"integration_id": 1, "type": "tracker"}, 422, "not both"),
        ({"type": "nosuch", "credentials": {}}, 422, "type"),
        ({"type": "tracker", "credentials": {"api_token": "x"}}, 422, "credentials.base_url"),
        (
            {"type": "tracker", "credentials": {**CREDS, "api_token": MASK}},
            422,
            "credentials.api_token",
        ),
        ({"integration_id": 999999}, 404, "999999"),
    ],
)
async def test_test_validation(
    client: httpx.AsyncClient,
    jira: dict[str, Any],
    payload: dict[str, Any],
    status: int,
    needle: str,
) -> None:
    resp = await client.post("/api/integrations/test", json=payload)
    assert resp.status_code == status, resp.text
    assert needle in resp.text


@pytest.fixture
def echo_tester() -> Iterator[list[dict[str, Any]]]:
    """A tester for "tracker" that echoes the secret back in its message (a careless plugin)."""
    seen: list[dict[str, Any]] = []

    async def tester(creds: dict[str, Any]) -> tuple[bool, str]:
        seen.append(dict(creds))
        if creds.get("base_url") == "https://raise.example":
            raise ConnectionError(f"cannot log in with token {creds['api_token']}")
        ok = creds["api_token"] == SECRET
        return ok, f"{'logged in' if ok else 'refused'} with token {creds['api_token']}!"

    previous = registry._testers.get("tracker")
    registry.register_tester("tracker", tester)
    try:
        yield seen
    finally:
        if previous is None:
            registry._testers.pop("tracker", None)
        else:
            registry.register_tester("tracker", previous)


async def test_test_with_a_tester(
    client: httpx.AsyncClient, jira: dict[str, Any], echo_tester: list[dict[str, Any]]
) -> None:
    resp = await client.get(f"/api/integration-types/{jira['id']}")
    assert resp.json()["has_tester"] is True
    iid = (await create(client)).json()["id"]

    # A saved integration: the tester gets the decrypted secret, the client never sees it.
    resp = await client.post("/api/integrations/test", json={"integration_id": iid})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "ok": True,
        "supported": True,
        "message": f"logged in with token {MASK}!",
    }
    assert echo_tester[-1]["api_token"] == SECRET
    assert echo_tester[-1]["timeout"] == 30  # defaults applied

    # Unsaved credentials: a wrong token.
    resp = await client.post(
        "/api/integrations/test",
        json={"type": "tracker", "credentials": {**CREDS, "api_token": "wrong-token-value"}},
    )
    assert resp.status_code == 200
    assert resp.json()["ok"] is False and resp.json()["supported"] is True
    assert "wrong-token-value" not in resp.text and MASK in resp.text

    # A saved integration with some fields overridden; the mask means "the saved one".
    resp = await client.post(
        "/api/integrations/test",
        json={"integration_id": iid, "credentials": {"api_token": MASK, "timeout": 1}},
    )
    assert resp.status_code == 200 and resp.json()["ok"] is True, resp.text
    assert echo_tester[-1]["api_token"] == SECRET and echo_tester[-1]["timeout"] == 1

    # A tester that raises: the failure is the answer, secret redacted.
    resp = await client.post(
        "/api/integrations/test",
        json={"type": "tracker", "credentials": {**CREDS, "base_url": "https://raise.example"}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["ok"] is False
    assert resp.json()["message"].startswith("ConnectionError: ")
    assert SECRET not in resp.text

    # Testing saves nothing.
    assert [i["id"] for i in (await client.get("/api/integrations")).json()] == [iid]


async def test_integrations_survive_a_type_change(
    client: httpx.AsyncClient, jira: dict[str, Any], runtime: Runtime
) -> None:
    """A parameter removed from the type: the integration still reads, secrets still masked."""
    iid = (await create(client)).json()["id"]
    params = [p for p in JIRA["parameters"] if p["name"] != "email"]
    resp = await client.patch(f"/api/integration-types/{jira['id']}", json={"parameters": params})
    assert resp.status_code == 200
    resp = await client.get(f"/api/integrations/{iid}")
    assert resp.status_code == 200 and SECRET not in resp.text
    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(Integration))).all()
        assert len(rows) == 1


async def test_nul_characters_are_client_errors(
    client: httpx.AsyncClient, runtime: Runtime, request: pytest.FixtureRequest
) -> None:
    """A NUL character anywhere in the input is a 4xx or stored as is, never a 500
    (PostgreSQL text cannot hold NUL)."""
    import structlog

    await client.post(
        "/api/integration-types", json={"name": "plain", "parameters": [{"name": "u"}]}
    )
    requests: list[tuple[str, str, Any, Any]] = [
        ("POST", "/api/integration-types", {"name": "nul", "description": "a\x00b"}, None),
        ("POST", "/api/api-keys", {"name": "a\x00b"}, None),
        ("POST", "/api/integrations", {"name": "a\x00b", "type": "plain"}, None),
        (
            "POST",
            "/api/integrations",
            {"name": "n", "type": "plain", "credentials": {"u": "\x00"}},
            None,
        ),
        ("GET", "/api/integrations", None, {"type": "a\x00"}),
        ("GET", "/api/executions/a%00b", None, None),
        ("PATCH", "/api/users/1", {"name": "a\x00b"}, None),
    ]
    failures = []
    with structlog.testing.capture_logs():
        for method, path, body, params in requests:
            resp = await client.request(method, path, json=body, params=params)
            if resp.status_code >= 500:
                failures.append(f"{method} {path} {body or params}")
    assert not failures, failures


# --------------------------------------------------------------------------- header values

CONTROL = ["\r", "\n", "\x00", "\t", "\x1b", "\x7f", "\x85", "\u2028"]
HEADERED = {
    "name": "headered",
    "parameters": [
        {"name": "base_url", "type": "string"},
        {"name": "token", "type": "password"},
        {"name": "username", "type": "string"},
        {"name": "password", "type": "password"},
        {"name": "api_key", "type": "password"},
        {"name": "api_key_header", "type": "string"},
        {"name": "pat", "type": "password", "header_bound": True},
        {"name": "headers", "type": "json"},
        {"name": "private_key", "type": "password"},  # not sent in a header: PEM lines are fine
    ],
}


def bad_values(char: str) -> list[tuple[dict[str, Any], str]]:
    value = f"canary-{char}-value"
    return [
        ({"token": value}, "credentials.token"),
        ({"username": value, "password": "pw"}, "credentials.username"),
        ({"username": "u", "password": value}, "credentials.password"),
        ({"api_key": value}, "credentials.api_key"),
        ({"pat": value}, "credentials.pat"),
        ({"headers": {"X-Extra": value}}, "credentials.headers.X-Extra"),
    ]


@pytest.mark.parametrize("char", CONTROL, ids=[repr(c) for c in CONTROL])
async def test_control_characters_in_header_values_are_refused(
    client: httpx.AsyncClient, char: str
) -> None:
    resp = await client.post("/api/integration-types", json=HEADERED)
    assert resp.status_code == 201, resp.text
    good = await client.post(
        "/api/integrations", json={"name": "good", "type": "headered", "credentials": {}}
    )
    iid = good.json()["id"]
    for creds, field in bad_values(char):
        requests = [
            (
                "POST",
                "/api/integrations",
                {"name": "bad", "type": "headered", "credentials": creds},
            ),
            ("PATCH", f"/api/integrations/{iid}", {"credentials": creds}),
            ("PUT", f"/api/integrations/{iid}", {"credentials": creds}),
            ("POST", "/api/integrations/test", {"type": "headered", "credentials": creds}),
            ("POST", "/api/integrations/test", {"integration_id": iid, "credentials": creds}),
        ]
        for method, path, body in requests:
            resp = await client.request(method, path, json=body)
            assert resp.status_code == 422, (method, path, creds, resp.text)
            assert fields(resp) == [field], resp.text
            assert "control characters" in resp.text
            assert "canary" not in resp.text  # the value is not echoed
    # Nothing was saved or changed.
    listed = (await client.get("/api/integrations")).json()
    assert [(i["name"], i["credentials"]) for i in listed] == [("good", {})]


async def test_header_names_and_multiline_secrets(client: httpx.AsyncClient) -> None:
    await client.post("/api/integration-types", json=HEADERED)
    for creds, field in [
        ({"api_key_header": "X Key"}, "credentials.api_key_header"),
        ({"api_key_header": "X-Key\r\nEvil: 1"}, "credentials.api_key_header"),
        ({"headers": {"Bad Name": "v"}}, "credentials.headers[0]"),
    ]:
        resp = await client.post(
            "/api/integrations", json={"name": "n", "type": "headered", "credentials": creds}
        )
        assert resp.status_code == 422 and fields(resp) == [field], resp.text
    pem = "-----BEGIN PRIVATE KEY-----\nMIIE\nAAAA\n-----END PRIVATE KEY-----\n"
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "ok",
            "type": "headered",
            "credentials": {
                "private_key": pem,
                "api_key_header": "X-Api-Key",
                "token": "printable: any é ünïcödé",
                "headers": {"X-Trace": "on"},
            },
        },
    )
    assert resp.status_code == 201, resp.text
    # The mask keeps the stored value, and is not itself checked as a new value.
    resp = await client.patch(
        f"/api/integrations/{resp.json()['id']}", json={"credentials": {"token": MASK}}
    )
    assert resp.status_code == 200, resp.text


# --------------------------------------------------------------------------- the seed's API


async def test_integration_type_by_id_as_the_seed_sends_it(
    client: httpx.AsyncClient, jira: dict[str, Any]
) -> None:
    resp = await client.post(
        "/api/integrations",
        json={"name": "Seeded", "integration_type_id": jira["id"], "credentials": CREDS},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["type"] == "tracker" and body["integration_type_id"] == jira["id"]
    iid = body["id"]
    for resp in (
        await client.get(f"/api/integrations/{iid}"),
        await client.get("/api/integrations"),
        await client.get(f"/api/integrations?integration_type_id={jira['id']}"),
    ):
        got = resp.json() if isinstance(resp.json(), dict) else resp.json()[0]
        assert (got["type"], got["integration_type_id"]) == ("tracker", jira["id"])
    assert (await client.get("/api/integrations?integration_type_id=999")).json() == []
    # Both, agreeing.
    resp = await client.post(
        "/api/integrations",
        json={
            "name": "Both",
            "type": "tracker",
            "integration_type_id": jira["id"],
            "credentials": CREDS,
        },
    )
    assert resp.status_code == 201, resp.text
    # Test a connection by type id.
    resp = await client.post(
        "/api/integrations/test",
        json={"integration_type_id": jira["id"], "credentials": CREDS},
    )
    assert resp.status_code == 200 and resp.json()["supported"] is False, resp.text


@pytest.mark.parametrize(
    ("payload", "field", "status"),
    [
        ({"integration_type_id": 999}, "integration_type_id", 422),
        ({"integration_type_id": "abc"}, "integration_type_id", 422),
        ({"integration_type_id": 0}, "integration_type_id", 422),
        ({"type": "nope"}, "type", 422),
        ({}, "type", 422),
        ({"type": "other", "integration_type_id": "JIRA"}, "integration_type_id", 422),
    ],
)
async def test_unknown_or_mismatched_type_is_422(
    client: httpx.AsyncClient,
    jira: dict[str, Any],
    payload: dict[str, Any],
    field: str,
    status: int,
) -> None:
    other = await client.post("/api/integration-types", json={"name": "other"})
    if payload.get("integration_type_id") == "JIRA":
        payload = {**payload, "integration_type_id": jira["id"]}
    resp = await client.post("/api/integrations", json={"name": "x", "credentials": {}, **payload})
    assert resp.status_code == status, resp.text
    assert [f.removeprefix("body.") for f in fields(resp)] == [field], resp.text
    assert other.status_code == 201
    resp = await client.post("/api/integrations/test", json={"credentials": {}, **payload})
    assert resp.status_code == 422, resp.text
    assert (await client.get("/api/integrations")).json() == []


async def test_error_bodies_never_hold_a_known_secret(
    client: httpx.AsyncClient, jira: dict[str, Any]
) -> None:
    """A secret the vault holds, sent where it does not belong (here: as a name that then
    conflicts), is redacted from the error body, in any encoding."""
    assert (await create(client)).status_code == 201
    assert (await create(client, name=SECRET)).status_code == 201
    resp = await create(client, name=SECRET)
    assert resp.status_code == 409, resp.text
    assert resp.json()["detail"] == f"name: an integration named '{MASK}' already exists"
    assert SECRET not in resp.text

"""API keys: shown once, stored hashed, scoped to their user."""

from __future__ import annotations

import datetime as dt
import hashlib

import httpx
import pytest
from sqlalchemy import select, text

from wirework.db.base import Base
from wirework.db.models import ApiKey
from wirework.services import auth
from wirework.services.runtime import Runtime


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_key_is_shown_once(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/api-keys", json={"name": "ci"})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    key = body["key"]
    assert key.startswith("ww_") and len(key) >= 40
    assert body["prefix"] == key[:10]
    assert body["name"] == "ci" and body["expires_at"] is None and body["last_used_at"] is None

    listed = await client.get("/api/api-keys")
    assert listed.status_code == 200
    assert key not in listed.text
    assert key[10:] not in listed.text
    (item,) = listed.json()
    assert "key" not in item and "key_hash" not in item
    assert item["prefix"] == key[:10] and item["id"] == body["id"]


async def test_key_is_stored_hashed(client: httpx.AsyncClient, runtime: Runtime) -> None:
    keys = [
        (await client.post("/api/api-keys", json={"name": f"k{i}"})).json()["key"] for i in range(3)
    ]
    async with runtime.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(text(f"SELECT * FROM {table.name}"))).all()
            dump = repr(rows)
            for key in keys:
                assert key not in dump, table.name
                assert key[10:] not in dump, table.name
    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(ApiKey).order_by(ApiKey.id))).all()
        assert [r.key_hash for r in rows] == [hashlib.sha256(k.encode()).hexdigest() for k in keys]


async def test_key_authenticates_and_records_use(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    key = (await client.post("/api/api-keys", json={"name": "ci"})).json()["key"]
    resp = await anon_client.get("/api/api-keys", headers=bearer(key))
    assert resp.status_code == 200
    (item,) = resp.json()
    assert item["last_used_at"] is not None


async def test_expiry(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/api-keys", json={"name": "short", "expires_in_days": 7})
    assert resp.status_code == 201
    expires = dt.datetime.fromisoformat(resp.json()["expires_at"])
    delta = expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6, hours=23) < delta <= dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "x", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "x", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "x", "scopes": ["all"]}, "scopes"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    resp = await client.post("/api/api-keys", json=payload)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"].removeprefix("body.") == field
    assert (await client.get("/api/api-keys")).json() == []


async def test_delete(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    a = (await client.post("/api/api-keys", json={"name": "a"})).json()
    b = (await client.post("/api/api-keys", json={"name": "b"})).json()
    assert (await client.delete(f"/api/api-keys/{a['id']}")).status_code == 204
    assert (await client.delete(f"/api/api-keys/{a['id']}")).status_code == 404
    assert (await anon_client.get("/api/users/me", headers=bearer(a["key"]))).status_code == 401
    assert (await anon_client.get("/api/users/me", headers=bearer(b["key"]))).status_code == 200
    assert [k["name"] for k in (await client.get("/api/api-keys")).json()] == ["b"]
    assert (await client.delete("/api/api-keys/99999")).status_code == 404


async def test_keys_belong_to_their_user(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    owner_key = (await client.post("/api/api-keys", json={"name": "owner"})).json()
    await client.post("/api/users", json={"email": "ed@example.com", "password": "password-123"})
    login = await anon_client.post(
        "/api/auth/login", json={"email": "ed@example.com", "password": "password-123"}
    )
    ed = bearer(login.json()["access_token"])
    ed_key = (await anon_client.post("/api/api-keys", json={"name": "ed"}, headers=ed)).json()
    # Each sees only their own keys.
    assert [k["name"] for k in (await anon_client.get("/api/api-keys", headers=ed)).json()] == [
        "ed"
    ]
    assert [k["name"] for k in (await client.get("/api/api-keys")).json()] == ["owner"]
    # An editor cannot delete someone else's key (and cannot even tell it exists).
    resp = await anon_client.delete(f"/api/api-keys/{owner_key['id']}", headers=ed)
    assert resp.status_code == 404
    assert (
        await anon_client.get("/api/users/me", headers=bearer(owner_key["key"]))
    ).status_code == 200
    # The key acts as its user, with that user's role.
    me = await anon_client.get("/api/users/me", headers=bearer(ed_key["key"]))
    assert me.json()["email"] == "ed@example.com"
    assert (await anon_client.get("/api/users", headers=bearer(ed_key["key"]))).status_code == 403
    # An owner may revoke anyone's key.
    assert (await client.delete(f"/api/api-keys/{ed_key['id']}")).status_code == 204
    assert (
        await anon_client.get("/api/users/me", headers=bearer(ed_key["key"]))
    ).status_code == 401

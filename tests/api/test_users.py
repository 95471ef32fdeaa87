"""User management: who may create, change and delete whom."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from wirework.db.models import ApiKey, User
from wirework.services import auth
from wirework.services.runtime import Runtime

REAL_HASHER = auth._hasher
PASSWORD = "password-123"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs: the same code path, without 125 ms per hash."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_user(client: httpx.AsyncClient, email: str, role: str) -> tuple[int, dict[str, str]]:
    resp = await client.post(
        "/api/users", json={"email": email, "password": PASSWORD, "role": role}
    )
    assert resp.status_code == 201, resp.text
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return resp.json()["id"], bearer(login.json()["access_token"])


async def owner_id(client: httpx.AsyncClient) -> int:
    return int((await client.get("/api/users/me")).json()["id"])


def test_passwords_are_hashed_with_argon2id() -> None:
    hashed = REAL_HASHER.hash("pw")
    assert hashed.startswith("$argon2id$")
    assert REAL_HASHER.verify("pw", hashed) and not REAL_HASHER.verify("other", hashed)
    assert auth._DUMMY_HASH.startswith("$argon2id$")


async def test_me_and_list(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = (await client.get("/api/users/me")).json()
    assert me["email"] == OWNER_EMAIL and me["role"] == "owner" and me["is_active"] is True
    assert set(me) == {"id", "email", "name", "role", "is_active", "created_at"}
    resp = await client.post(
        "/api/users", json={"email": "Ed@Example.com ", "password": PASSWORD, "name": "Ed"}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["email"] == "ed@example.com"
    assert resp.json()["role"] == "editor"  # the default role
    listed = (await client.get("/api/users")).json()
    assert [u["email"] for u in listed] == [OWNER_EMAIL, "ed@example.com"]
    for text in (resp.text, str(listed)):
        assert "password" not in text and PASSWORD not in text
    got = await client.get(f"/api/users/{resp.json()['id']}")
    assert got.status_code == 200 and got.json()["name"] == "Ed"
    assert (await client.get("/api/users/99999")).status_code == 404
    # The stored hash is not the password.
    async with runtime.sessionmaker() as session:
        row = await session.scalar(select(User).where(User.email == "ed@example.com"))
        assert row is not None and row.password_hash and PASSWORD not in row.password_hash


async def test_duplicate_email_is_a_conflict(client: httpx.AsyncClient) -> None:
    await make_user(client, "ed@example.com", "editor")
    resp = await client.post("/api/users", json={"email": "ED@example.com", "password": PASSWORD})
    assert resp.status_code == 409 and resp.json()["detail"].startswith("email:")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "nope", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "role": "god"}, "role"),
        ({"email": "a@example.com", "password": PASSWORD, "is_admin": True}, "is_admin"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    resp = await client.post("/api/users", json=payload)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"].removeprefix("body.") == field


async def test_only_an_owner_creates_owners(client: httpx.AsyncClient) -> None:
    _, admin = await make_user(client, "admin@example.com", "admin")
    resp = await client.post(
        "/api/users",
        json={"email": "o2@example.com", "password": PASSWORD, "role": "owner"},
        headers=admin,
    )
    assert resp.status_code == 403 and resp.json()["detail"].startswith("role:")
    # Nor another admin: admins manage editors and viewers.
    resp = await client.post(
        "/api/users",
        json={"email": "a2@example.com", "password": PASSWORD, "role": "admin"},
        headers=admin,
    )
    assert resp.status_code == 403 and resp.json()["detail"].startswith("role:")
    for role in ("editor", "viewer"):
        resp = await client.post(
            "/api/users",
            json={"email": f"{role}2@example.com", "password": PASSWORD, "role": role},
            headers=admin,
        )
        assert resp.status_code == 201, resp.text
    resp = await client.post(
        "/api/users", json={"email": "o2@example.com", "password": PASSWORD, "role": "owner"}
    )
    assert resp.status_code == 201 and resp.json()["role"] == "owner"


async def test_editor_and_viewer_cannot_manage_users(client: httpx.AsyncClient) -> None:
    oid = await owner_id(client)
    for role in ("editor", "viewer"):
        uid, h = await make_user(client, f"{role}@example.com", role)
        assert (await client.get("/api/users", headers=h)).status_code == 403
        assert (await client.get(f"/api/users/{oid}", headers=h)).status_code == 403
        resp = await client.post(
            "/api/users", json={"email": f"x{role}@example.com", "password": PASSWORD}, headers=h
        )
        assert resp.status_code == 403
        assert (
            await client.patch(f"/api/users/{oid}", json={"name": "x"}, headers=h)
        ).status_code == 403
        assert (await client.delete(f"/api/users/{oid}", headers=h)).status_code == 403
        # Changing their own role is for an owner only.
        resp = await client.patch(f"/api/users/{uid}", json={"role": "admin"}, headers=h)
        assert resp.status_code == 403 and resp.json()["detail"].startswith("role:")
        # Their own name is theirs to change.
        resp = await client.patch(f"/api/users/{uid}", json={"name": "Me"}, headers=h)
        assert resp.status_code == 200 and resp.json()["name"] == "Me"
        assert (await client.get("/api/users/me", headers=h)).json()["role"] == role


async def test_last_owner_cannot_be_demoted(client: httpx.AsyncClient) -> None:
    oid = await owner_id(client)
    resp = await client.patch(f"/api/users/{oid}", json={"role": "admin"})
    assert resp.status_code == 409 and "last owner" in resp.json()["detail"]
    assert (await client.get("/api/users/me")).json()["role"] == "owner"
    # With a second owner, one may step down.
    second, second_h = await make_user(client, "o2@example.com", "owner")
    resp = await client.patch(f"/api/users/{oid}", json={"role": "admin"})
    assert resp.status_code == 200 and resp.json()["role"] == "admin"
    # Now the second is the last owner.
    resp = await client.patch(f"/api/users/{second}", json={"role": "editor"}, headers=second_h)
    assert resp.status_code == 409


async def test_a_deactivated_owner_does_not_count(client: httpx.AsyncClient) -> None:
    oid = await owner_id(client)
    second, _ = await make_user(client, "o2@example.com", "owner")
    assert (
        await client.patch(f"/api/users/{second}", json={"is_active": False})
    ).status_code == 200
    resp = await client.patch(f"/api/users/{oid}", json={"role": "admin"})
    assert resp.status_code == 409


async def test_admin_cannot_change_roles(client: httpx.AsyncClient) -> None:
    uid, _ = await make_user(client, "ed@example.com", "editor")
    _, admin = await make_user(client, "admin@example.com", "admin")
    resp = await client.patch(f"/api/users/{uid}", json={"role": "admin"}, headers=admin)
    assert resp.status_code == 403
    resp = await client.patch(f"/api/users/{uid}", json={"role": "viewer"})
    assert resp.status_code == 200 and resp.json()["role"] == "viewer"


async def test_admin_cannot_take_over_an_owner(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    """An admin who could set the owner's password (or lock them out) would be an owner."""
    oid = await owner_id(client)
    _, admin = await make_user(client, "admin@example.com", "admin")
    resp = await client.patch(f"/api/users/{oid}", json={"password": "taken over!"}, headers=admin)
    assert resp.status_code == 403, resp.text
    resp = await client.patch(f"/api/users/{oid}", json={"is_active": False}, headers=admin)
    assert resp.status_code == 403, resp.text
    resp = await client.patch(f"/api/users/{oid}", json={"name": "renamed"}, headers=admin)
    assert resp.status_code == 403, resp.text
    resp = await anon_client.post(
        "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert resp.status_code == 200
    me = (await client.get("/api/users/me")).json()
    assert me["is_active"] is True and me["name"] == "Owner"


async def test_admin_manages_non_owners(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    uid, _ = await make_user(client, "ed@example.com", "editor")
    _, admin = await make_user(client, "admin@example.com", "admin")
    resp = await client.patch(
        f"/api/users/{uid}", json={"password": "reset by admin", "name": "E"}, headers=admin
    )
    assert resp.status_code == 200, resp.text
    resp = await anon_client.post(
        "/api/auth/login", json={"email": "ed@example.com", "password": "reset by admin"}
    )
    assert resp.status_code == 200
    resp = await client.patch(f"/api/users/{uid}", json={"is_active": False}, headers=admin)
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    assert (await client.delete(f"/api/users/{uid}", headers=admin)).status_code == 204


async def test_cannot_deactivate_or_delete_yourself(client: httpx.AsyncClient) -> None:
    oid = await owner_id(client)
    resp = await client.patch(f"/api/users/{oid}", json={"is_active": False})
    assert resp.status_code == 409 and resp.json()["detail"].startswith("is_active:")
    resp = await client.delete(f"/api/users/{oid}")
    assert resp.status_code == 409 and "yourself" in resp.json()["detail"]
    _, admin_h = await make_user(client, "admin@example.com", "admin")
    admin_id = (await client.get("/api/users/me", headers=admin_h)).json()["id"]
    assert (await client.delete(f"/api/users/{admin_id}", headers=admin_h)).status_code == 409
    assert (await client.get("/api/users/me")).status_code == 200


async def test_delete_rules(client: httpx.AsyncClient, runtime: Runtime) -> None:
    second, second_h = await make_user(client, "o2@example.com", "owner")
    _, admin = await make_user(client, "admin@example.com", "admin")
    # An admin cannot delete an owner.
    resp = await client.delete(f"/api/users/{second}", headers=admin)
    assert resp.status_code == 403
    # The second owner's API key goes with them.
    key = (await client.post("/api/api-keys", json={"name": "k"}, headers=second_h)).json()["key"]
    assert (await client.get("/api/users/me", headers=bearer(key))).status_code == 200
    assert (await client.delete(f"/api/users/{second}")).status_code == 204
    assert (await client.get(f"/api/users/{second}")).status_code == 404
    assert (await client.delete(f"/api/users/{second}")).status_code == 404
    assert (await client.get("/api/users/me", headers=bearer(key))).status_code == 401
    assert (await client.get("/api/users/me", headers=second_h)).status_code == 401
    async with runtime.sessionmaker() as session:
        keys = (await session.scalars(select(ApiKey).where(ApiKey.user_id == second))).all()
        assert keys == []


async def test_update_validation_and_unknown(client: httpx.AsyncClient) -> None:
    oid = await owner_id(client)
    for payload, field in (
        ({"password": "short"}, "password"),
        ({"role": "root"}, "role"),
        ({"email": "x@example.com"}, "email"),
        ({"is_active": "maybe"}, "is_active"),
    ):
        resp = await client.patch(f"/api/users/{oid}", json=payload)
        assert resp.status_code == 422, (payload, resp.text)
        assert resp.json()["errors"][0]["field"].removeprefix("body.") == field
    assert (await client.patch("/api/users/99999", json={"name": "x"})).status_code == 404
    assert (await client.patch("/api/users/abc", json={"name": "x"})).status_code == 422


# --------------------------------------------------------------------------- who manages whom

ROLES = ("owner", "admin", "editor", "viewer")
# What an actor may do to another user, by the target's role: owners manage everyone,
# admins manage editors and viewers, editors and viewers nobody.
MANAGES = {
    "owner": set(ROLES),
    "admin": {"editor", "viewer"},
    "editor": set(),
    "viewer": set(),
}
ACTIONS = ("name", "password", "deactivate", "role", "revoke_key", "delete")


async def _act(
    client: httpx.AsyncClient,
    action: str,
    actor: dict[str, str],
    target_id: int,
    target_key_id: int,
    target_role: str,
) -> httpx.Response:
    url = f"/api/users/{target_id}"
    if action == "name":
        return await client.patch(url, json={"name": "changed"}, headers=actor)
    if action == "password":
        return await client.patch(url, json={"password": "set by someone else"}, headers=actor)
    if action == "deactivate":
        return await client.patch(url, json={"is_active": False}, headers=actor)
    if action == "role":
        new_role = "viewer" if target_role == "editor" else "editor"
        return await client.patch(url, json={"role": new_role}, headers=actor)
    if action == "revoke_key":
        return await client.delete(f"/api/api-keys/{target_key_id}", headers=actor)
    assert action == "delete"
    return await client.delete(url, headers=actor)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target_role", ROLES)
@pytest.mark.parametrize("actor_role", ROLES)
async def test_who_manages_whom(
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    actor_role: str,
    target_role: str,
    action: str,
) -> None:
    """Every action on another user's account or keys, for every pair of roles: allowed
    exactly when the actor's role manages the target's, and a refusal changes nothing."""
    _, actor = await make_user(client, f"actor-{actor_role}@example.com", actor_role)
    target_email = f"target-{target_role}@example.com"
    target_id, target = await make_user(client, target_email, target_role)
    created = await client.post("/api/api-keys", json={"name": "k"}, headers=target)
    key_id, key = created.json()["id"], created.json()["key"]

    resp = await _act(client, action, actor, target_id, key_id, target_role)

    allowed = target_role in MANAGES[actor_role]
    if action == "role" and actor_role == "admin":
        allowed = target_role in ("editor", "viewer")  # only between editor and viewer
    if allowed:
        assert resp.status_code in (200, 204), resp.text
        return
    # Editors and viewers do not see other users' keys at all.
    expected = 404 if action == "revoke_key" and actor_role in ("editor", "viewer") else 403
    assert resp.status_code == expected, resp.text
    # Nothing changed: the target still logs in with its password, its key still works.
    login = await anon_client.post(
        "/api/auth/login", json={"email": target_email, "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    me = await anon_client.get("/api/users/me", headers=bearer(key))
    assert me.status_code == 200
    assert me.json()["role"] == target_role and me.json()["name"] == ""


@pytest.mark.parametrize("role", ROLES)
async def test_everyone_manages_their_own_password_and_keys(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, role: str
) -> None:
    email = f"self-{role}@example.com"
    uid, me = await make_user(client, email, role)
    url = f"/api/users/{uid}"
    # The current password is required, and must be right.
    resp = await client.patch(url, json={"password": "my new password"}, headers=me)
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "current_password"
    resp = await client.patch(
        url, json={"password": "my new password", "current_password": "wrong"}, headers=me
    )
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "current_password"
    login = await anon_client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200  # unchanged
    me = bearer(login.json()["access_token"])
    resp = await client.patch(
        url, json={"password": "my new password", "current_password": PASSWORD}, headers=me
    )
    assert resp.status_code == 200, resp.text
    login = await anon_client.post(
        "/api/auth/login", json={"email": email, "password": "my new password"}
    )
    assert login.status_code == 200
    me = bearer(login.json()["access_token"])
    key = (await client.post("/api/api-keys", json={"name": "mine"}, headers=me)).json()
    assert [k["id"] for k in (await client.get("/api/api-keys", headers=me)).json()] == [key["id"]]
    assert (await client.delete(f"/api/api-keys/{key['id']}", headers=me)).status_code == 204
    # Nobody grants themselves a role (owners may step down, see the last-owner tests).
    if role != "owner":
        resp = await client.patch(url, json={"role": "owner"}, headers=me)
        assert resp.status_code == 403 and resp.json()["detail"].startswith("role:")


async def test_the_last_owner_stays(client: httpx.AsyncClient) -> None:
    """Not demoted, deactivated or deleted, by anyone, in any order."""
    oid = await owner_id(client)
    second, second_h = await make_user(client, "o2@example.com", "owner")
    # Two owners: one may remove the other.
    assert (await client.delete(f"/api/users/{second}")).status_code == 204
    resp = await client.patch(f"/api/users/{oid}", json={"role": "admin"})
    assert resp.status_code == 409 and "last owner" in resp.json()["detail"]
    _, admin = await make_user(client, "admin@example.com", "admin")
    for resp in (
        await client.patch(f"/api/users/{oid}", json={"role": "editor"}, headers=admin),
        await client.patch(f"/api/users/{oid}", json={"is_active": False}, headers=admin),
        await client.delete(f"/api/users/{oid}", headers=admin),
    ):
        assert resp.status_code == 403, resp.text
    me = (await client.get("/api/users/me")).json()
    assert me["role"] == "owner" and me["is_active"] is True
    del second_h

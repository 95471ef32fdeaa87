"""Authentication: every /api route but login, set-up and health needs a bearer token."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import update

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from wirework.api.app import create_app
from wirework.db.models import ApiKey, User
from wirework.services.runtime import Runtime

PUBLIC = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/session"),  # the web UI's log-in (cookies)
    ("GET", "/api/auth/session"),  # whether the web UI is logged in (never a 401)
    ("POST", "/api/auth/logout"),  # clears the web UI's cookies
    ("GET", "/api/setup"),
    ("POST", "/api/setup"),
    ("GET", "/api/health"),
    ("GET", "/api/health/live"),
    # Chats: a public chat answers anyone (rate-limited); a login chat checks who calls in
    # the route, after finding the chat (tests/api/test_chat.py: 401, and the CSRF header
    # for the session cookie).
    ("GET", "/api/chat/1"),
    ("POST", "/api/chat/1/messages"),
    ("OPTIONS", "/api/chat/1/messages"),  # the CORS preflight of allowed origins
}


def _routes(app: FastAPI) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, including those of included routers."""
    try:  # FastAPI >= 0.16x keeps included routers lazily; this walks them.
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI: app.routes is flat
        return [(r.path, set(r.methods or ())) for r in app.routes if isinstance(r, APIRoute)]
    out = []
    for ctx in iter_route_contexts(app.routes):
        if isinstance(ctx.original_route, APIRoute) and ctx.path:
            out.append((ctx.path, set(ctx.methods or ())))
    return out


def api_operations(runtime: Runtime) -> list[tuple[str, str]]:
    """Every (method, path) of the app under /api, path parameters filled with 1."""
    ops: list[tuple[str, str]] = []
    for route_path, methods in _routes(create_app(runtime=runtime)):
        if not route_path.startswith("/api"):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route_path)
        for method in sorted(methods):
            ops.append((method, path))
    return ops


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs: the same code path, without 125 ms per hash."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from wirework.services import auth

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_user(
    client: httpx.AsyncClient, email: str, role: str, password: str = "password-123"
) -> tuple[int, str]:
    """Create a user as the owner and log in as them: (id, token)."""
    resp = await client.post(
        "/api/users", json={"email": email, "password": password, "role": role}
    )
    assert resp.status_code == 201, resp.text
    login = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return resp.json()["id"], login.json()["access_token"]


async def test_every_api_route_needs_a_token(
    runtime: Runtime, anon_client: httpx.AsyncClient
) -> None:
    ops = api_operations(runtime)
    protected = [op for op in ops if op not in PUBLIC]
    assert len(protected) >= 20, protected  # sanity: the walk found the routes
    assert set(ops) >= PUBLIC, "a public route disappeared"
    for method, path in protected:
        for headers in (
            {},
            {"Authorization": ""},
            {"Authorization": "Bearer"},
            {"Authorization": "Bearer "},
            {"Authorization": "Basic b3duZXJAZXhhbXBsZS5jb206eA=="},
            {"Authorization": "Token abc"},
        ):
            for body in (None, {}):
                resp = await anon_client.request(method, path, headers=headers, json=body)
                assert resp.status_code == 401, (method, path, headers, body, resp.text)
                assert resp.json()["code"] == "unauthorized"
                assert resp.headers["www-authenticate"] == "Bearer"


async def test_public_routes_answer_without_a_token(anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.get("/api/health")).status_code == 200
    assert (await anon_client.get("/api/setup")).status_code == 200
    resp = await anon_client.post("/api/auth/login", json={"email": "a@b.co", "password": "x"})
    assert resp.status_code == 401 and resp.json()["detail"] == "wrong e-mail or password"


async def test_protected_routes_accept_a_token(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """The same walk with the owner's token never answers 401."""
    for method, path in api_operations(runtime):
        if (method, path) in PUBLIC or method == "DELETE":
            continue
        resp = await client.request(method, path, json={})
        assert resp.status_code != 401, (method, path, resp.text)
        assert resp.status_code < 500, (method, path, resp.text)


BAD_TOKEN_CASES = [
    "garbage",
    "other_key",
    "expired",
    "alg_none",
    "wrong_typ",
    "old_version",
    "unknown_user",
    "non_numeric_sub",
    "missing_tv",
    "missing_exp",
    "tampered",
    "hs512_other_key",
    "unknown_api_key",
]


def _bad_token(case: str, good: str, signing_key: str) -> str:
    claims = jwt.decode(good, signing_key, algorithms=["HS256"])
    key = signing_key
    now = int(dt.datetime.now(dt.UTC).timestamp())
    if case == "garbage":
        return "not.a.jwt"
    if case == "other_key":
        return jwt.encode(claims, "some-other-signing-key-0123456789abcdef", algorithm="HS256")
    if case == "expired":
        return jwt.encode({**claims, "iat": now - 100, "exp": now - 10}, key, algorithm="HS256")
    if case == "alg_none":
        return jwt.encode(claims, None, algorithm="none")
    if case == "wrong_typ":
        return jwt.encode({**claims, "typ": "refresh"}, key, algorithm="HS256")
    if case == "old_version":
        return jwt.encode({**claims, "tv": claims["tv"] + 1}, key, algorithm="HS256")
    if case == "unknown_user":
        return jwt.encode({**claims, "sub": "999999"}, key, algorithm="HS256")
    if case == "non_numeric_sub":
        return jwt.encode({**claims, "sub": "admin"}, key, algorithm="HS256")
    if case == "missing_tv":
        return jwt.encode({k: v for k, v in claims.items() if k != "tv"}, key, algorithm="HS256")
    if case == "missing_exp":
        return jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256")
    if case == "tampered":
        head, body, sig = good.split(".")
        return f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    if case == "hs512_other_key":
        return jwt.encode(claims, "x" * 64, algorithm="HS512")
    assert case == "unknown_api_key"
    return "ww_" + "A" * 43


async def test_bad_tokens_are_refused(runtime: Runtime, client: httpx.AsyncClient) -> None:
    good = client.headers["Authorization"].removeprefix("Bearer ")
    for case in BAD_TOKEN_CASES:
        token = _bad_token(case, good, runtime.signing_key)
        resp = await client.get("/api/users/me", headers=bearer(token))
        assert resp.status_code == 401, (case, resp.text)
        assert resp.json()["code"] == "unauthorized", case
        if case == "expired":
            assert "expired" in resp.json()["detail"]
    # The good token still works.
    assert (await client.get("/api/users/me")).status_code == 200


async def test_api_key_authenticates(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    resp = await client.post("/api/api-keys", json={"name": "ci"})
    assert resp.status_code == 201, resp.text
    key, key_id = resp.json()["key"], resp.json()["id"]
    me = await anon_client.get("/api/users/me", headers=bearer(key))
    assert me.status_code == 200 and me.json()["email"] == OWNER_EMAIL
    # Usable on any protected route, including writes.
    resp = await anon_client.post(
        "/api/integration-types", json={"name": "via_key"}, headers=bearer(key)
    )
    assert resp.status_code == 201, resp.text

    assert (await client.delete(f"/api/api-keys/{key_id}")).status_code == 204
    resp = await anon_client.get("/api/users/me", headers=bearer(key))
    assert resp.status_code == 401 and "invalid API key" in resp.json()["detail"]


async def test_expired_api_key_is_refused(
    runtime: Runtime, client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    resp = await client.post("/api/api-keys", json={"name": "short", "expires_in_days": 1})
    key, key_id = resp.json()["key"], resp.json()["id"]
    assert (await anon_client.get("/api/users/me", headers=bearer(key))).status_code == 200
    async with runtime.sessionmaker() as session:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=past))
        await session.commit()
    resp = await anon_client.get("/api/users/me", headers=bearer(key))
    assert resp.status_code == 401 and "expired" in resp.json()["detail"]


async def test_api_key_of_a_deactivated_user_is_refused(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user_id, token = await make_user(client, "ed@example.com", "editor")
    key = (
        await anon_client.post("/api/api-keys", json={"name": "k"}, headers=bearer(token))
    ).json()["key"]
    assert (await anon_client.get("/api/users/me", headers=bearer(key))).status_code == 200
    resp = await client.patch(f"/api/users/{user_id}", json={"is_active": False})
    assert resp.status_code == 200, resp.text
    assert (await anon_client.get("/api/users/me", headers=bearer(key))).status_code == 401
    assert (await anon_client.get("/api/users/me", headers=bearer(token))).status_code == 401


async def test_setup_flow(anon_client: httpx.AsyncClient) -> None:
    resp = await anon_client.get("/api/setup")
    assert resp.status_code == 200 and resp.json() == {"needs_setup": True}
    # No one can log in before set-up.
    resp = await anon_client.post(
        "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert resp.status_code == 401

    resp = await anon_client.post(
        "/api/setup", json={"email": " Owner@Example.COM ", "password": OWNER_PASSWORD, "name": "O"}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["user"]["role"] == "owner"
    assert body["user"]["email"] == OWNER_EMAIL
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert "password" not in resp.text and OWNER_PASSWORD not in resp.text
    token = body["access_token"]
    assert (await anon_client.get("/api/users/me", headers=bearer(token))).status_code == 200

    resp = await anon_client.get("/api/setup")
    assert resp.json() == {"needs_setup": False}
    resp = await anon_client.post(
        "/api/setup", json={"email": "intruder@example.com", "password": "password-123"}
    )
    assert resp.status_code == 409 and resp.json()["code"] == "conflict"
    # A second set-up attempt did not create a user.
    resp = await anon_client.post(
        "/api/auth/login", json={"email": "intruder@example.com", "password": "password-123"}
    )
    assert resp.status_code == 401


async def test_setup_after_cli_created_user_is_refused(
    runtime: Runtime, anon_client: httpx.AsyncClient
) -> None:
    from wirework.schemas.users import UserCreate
    from wirework.services import users

    async with runtime.sessionmaker() as session:
        await users.create(
            session, UserCreate(email="cli@example.com", password="password-123", role="owner")
        )
        await session.commit()
    assert (await anon_client.get("/api/setup")).json() == {"needs_setup": False}
    resp = await anon_client.post(
        "/api/setup", json={"email": "x@example.com", "password": "password-123"}
    )
    assert resp.status_code == 409


# Routes (not in this test's author's files) whose unbounded id overflows the database
# driver: reported with their fix; the test xfails while any of them still does.
KNOWN_UNBOUNDED: set[tuple[str, str]] = set()


async def test_out_of_range_ids_are_client_errors(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    """Ids in paths are 32-bit on every backend: a bigger one is a 4xx, never an overflow."""
    import structlog

    offenders: list[str] = []
    # Captured, not rendered: structlog's default renderer would print slow rich tracebacks.
    with structlog.testing.capture_logs() as logs:
        await _probe_ids(runtime, client, offenders)
    assert len([e for e in logs if e["event"] == "unhandled error"]) == len(offenders)
    unknown = [o for o in offenders if tuple(o.split(" (")[0].split(" ", 1)) not in KNOWN_UNBOUNDED]
    assert not unknown, unknown
    if offenders:
        pytest.xfail(
            "BUG api/routes/runs.py: `workflow_id: int` path params are unbounded; use the "
            f"bounded WorkflowId (or api.deps.DbId): {offenders}"
        )


async def _probe_ids(runtime: Runtime, client: httpx.AsyncClient, offenders: list[str]) -> None:
    for route_path, methods in _routes(create_app(runtime=runtime)):
        if not route_path.startswith("/api") or "_id}" not in route_path:
            continue
        for method in sorted(methods):
            for bad in (2**63, 2**31, 0, -1):
                path = re.sub(r"\{\w+_id\}", str(bad), route_path)
                path = re.sub(r"\{[^}]+\}", "x", path)
                resp = await client.request(method, path, json={})
                status = resp.status_code
                if status >= 500:
                    offenders.append(f"{method} {route_path} ({bad})")
                    continue
                if (method, route_path) not in KNOWN_UNBOUNDED:
                    assert status in (404, 405, 409, 422), (method, path, resp.text)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "password-123"}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"password": "password-123"}, "email"),
        ({"email": "a@example.com", "password": "password-123", "role": "viewer"}, "role"),
    ],
)
async def test_setup_validation(
    anon_client: httpx.AsyncClient, payload: dict[str, str], field: str
) -> None:
    resp = await anon_client.post("/api/setup", json=payload)
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["field"].removeprefix("body.") == field
    assert (await anon_client.get("/api/setup")).json() == {"needs_setup": True}


async def test_login(client: httpx.AsyncClient, anon_client: httpx.AsyncClient) -> None:
    resp = await anon_client.post(
        "/api/auth/login", json={"email": "  OWNER@example.com", "password": OWNER_PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    token = resp.json()["access_token"]
    me = await anon_client.get("/api/users/me", headers=bearer(token))
    assert me.json()["email"] == OWNER_EMAIL

    wrong_password = await anon_client.post(
        "/api/auth/login", json={"email": OWNER_EMAIL, "password": "wrong password"}
    )
    unknown_email = await anon_client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": OWNER_PASSWORD}
    )
    for resp in (wrong_password, unknown_email):
        assert resp.status_code == 401
        assert resp.json() == {
            "detail": "wrong e-mail or password",
            "code": "unauthorized",
            "errors": [],
        }
        assert "access_token" not in resp.text
    assert wrong_password.headers.get("www-authenticate") == unknown_email.headers.get(
        "www-authenticate"
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"email": "x"}, "email"), ({"email": "a@example.com"}, "password"), ({}, "email")],
)
async def test_login_validation(
    anon_client: httpx.AsyncClient, payload: dict[str, str], field: str
) -> None:
    resp = await anon_client.post("/api/auth/login", json=payload)
    assert resp.status_code == 422
    assert field in resp.json()["detail"]


async def test_password_change_revokes_tokens(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    me = (await client.get("/api/users/me")).json()
    old_token = client.headers["Authorization"].removeprefix("Bearer ")
    second = (
        await anon_client.post(
            "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
        )
    ).json()["access_token"]

    resp = await client.patch(
        f"/api/users/{me['id']}",
        json={"password": "a new password", "current_password": OWNER_PASSWORD},
    )
    assert resp.status_code == 200, resp.text
    for token in (old_token, second):
        resp = await anon_client.get("/api/users/me", headers=bearer(token))
        assert resp.status_code == 401 and "revoked" in resp.json()["detail"]
    resp = await anon_client.post(
        "/api/auth/login", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert resp.status_code == 401
    resp = await anon_client.post(
        "/api/auth/login", json={"email": OWNER_EMAIL, "password": "a new password"}
    )
    assert resp.status_code == 200
    new = resp.json()["access_token"]
    assert (await anon_client.get("/api/users/me", headers=bearer(new))).status_code == 200


async def test_name_change_keeps_tokens(client: httpx.AsyncClient) -> None:
    me = (await client.get("/api/users/me")).json()
    assert (await client.patch(f"/api/users/{me['id']}", json={"name": "N"})).status_code == 200
    assert (await client.get("/api/users/me")).json()["name"] == "N"


async def test_deactivation_revokes_tokens_and_login(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user_id, token = await make_user(client, "ed@example.com", "editor")
    assert (await anon_client.get("/api/users/me", headers=bearer(token))).status_code == 200
    resp = await client.patch(f"/api/users/{user_id}", json={"is_active": False})
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    assert (await anon_client.get("/api/users/me", headers=bearer(token))).status_code == 401
    resp = await anon_client.post(
        "/api/auth/login", json={"email": "ed@example.com", "password": "password-123"}
    )
    assert resp.status_code == 401
    # Reactivation does not bring old tokens back; a new login works.
    resp = await client.patch(f"/api/users/{user_id}", json={"is_active": True})
    assert resp.status_code == 200
    assert (await anon_client.get("/api/users/me", headers=bearer(token))).status_code == 401
    resp = await anon_client.post(
        "/api/auth/login", json={"email": "ed@example.com", "password": "password-123"}
    )
    assert resp.status_code == 200


async def test_deleted_user_token_is_refused(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    user_id, token = await make_user(client, "gone@example.com", "admin")
    assert (await client.delete(f"/api/users/{user_id}")).status_code == 204
    assert (await anon_client.get("/api/users/me", headers=bearer(token))).status_code == 401


async def test_viewer_reads_but_cannot_write(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    await client.post(
        "/api/integration-types",
        json={"name": "svc", "parameters": [{"name": "token", "type": "password"}]},
    )
    _, token = await make_user(client, "view@example.com", "viewer")
    h = bearer(token)
    assert (await anon_client.get("/api/integration-types", headers=h)).status_code == 200
    assert (await anon_client.get("/api/integrations", headers=h)).status_code == 200
    assert (await anon_client.get("/api/executions", headers=h)).status_code == 200
    forbidden = [
        ("POST", "/api/integration-types", {"name": "nope"}),
        ("PATCH", "/api/integration-types/1", {"description": "x"}),
        ("DELETE", "/api/integration-types/1", None),
        ("POST", "/api/integrations", {"name": "n", "type": "svc"}),
        ("POST", "/api/integrations/test", {"type": "svc", "credentials": {}}),
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"email": "x@example.com", "password": "password-123"}),
    ]
    for method, path, body in forbidden:
        resp = await anon_client.request(method, path, json=body, headers=h)
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["code"] == "forbidden"
    resp = await client.get("/api/integration-types")
    assert [t["name"] for t in resp.json() if not t["builtin"]] == ["svc"]


async def test_editor_can_create_types(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    _, token = await make_user(client, "ed@example.com", "editor")
    resp = await anon_client.post(
        "/api/integration-types", json={"name": "by_editor"}, headers=bearer(token)
    )
    assert resp.status_code == 201, resp.text
    assert (await anon_client.get("/api/users", headers=bearer(token))).status_code == 403


async def test_token_for_user_with_changed_role_uses_current_role(
    runtime: Runtime, client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    """Roles are read from the database on every request, not from the token."""
    user_id, token = await make_user(client, "ed@example.com", "editor")
    async with runtime.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user_id).values(role="viewer"))
        await session.commit()
    resp = await anon_client.post(
        "/api/integration-types", json={"name": "x"}, headers=bearer(token)
    )
    assert resp.status_code == 403

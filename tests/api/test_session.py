"""Web UI sessions: cookie log-in, CSRF (double-submit), log-out; bearer tokens unaffected."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.api.test_auth import PUBLIC, api_operations, bearer
from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from wirework.api.app import create_app
from wirework.db.models import User
from wirework.services import sessions
from wirework.services.runtime import Runtime

pytestmark = pytest.mark.db

CREDENTIALS = {"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
# httpx keeps cookies of a host without a dot under "<host>.local".
JAR_HOST = "testserver.local"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from wirework.services import auth

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


async def _setup_owner(client: httpx.AsyncClient) -> str:
    resp = await client.post("/api/setup", json={**CREDENTIALS, "name": "Owner"})
    assert resp.status_code == 201, resp.text
    token: str = resp.json()["access_token"]
    return token


async def _browser_login(client: httpx.AsyncClient) -> httpx.Response:
    resp = await client.post("/api/auth/session", json=CREDENTIALS)
    assert resp.status_code == 200, resp.text
    return resp


def _set_cookies(resp: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, lower-cased."""
    out = {}
    for header in resp.headers.get_list("set-cookie"):
        out[header.split("=", 1)[0]] = header.lower()
    return out


def _csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["wirework_csrf"]}


async def test_session_login_sets_httponly_cookie_and_csrf_cookie(
    anon_client: httpx.AsyncClient,
) -> None:
    await _setup_owner(anon_client)
    resp = await _browser_login(anon_client)
    body = resp.json()
    assert body["user"]["email"] == OWNER_EMAIL and body["expires_in"] > 0
    assert "access_token" not in body  # nothing for scripts in the browser to keep
    cookies = _set_cookies(resp)
    session = cookies["wirework_session"]
    assert "httponly" in session and "samesite=lax" in session and "path=/api" in session
    assert "secure" not in session  # plain http
    csrf = cookies["wirework_csrf"]
    assert "httponly" not in csrf and "samesite=lax" in csrf and "path=/;" in csrf + ";"
    me = await anon_client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["email"] == OWNER_EMAIL
    assert (await anon_client.get("/api/workflows")).status_code == 200


async def test_wrong_password_sets_no_cookie(anon_client: httpx.AsyncClient) -> None:
    await _setup_owner(anon_client)
    resp = await anon_client.post("/api/auth/session", json={**CREDENTIALS, "password": "nope"})
    assert resp.status_code == 401 and resp.json()["code"] == "unauthorized"
    assert "set-cookie" not in resp.headers
    resp = await anon_client.post("/api/auth/session", json={"email": "x"})
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json()["errors"]} == {"body.email", "body.password"}


async def test_unsafe_request_without_csrf_header_is_refused_and_writes_nothing(
    anon_client: httpx.AsyncClient,
) -> None:
    await _setup_owner(anon_client)
    await _browser_login(anon_client)
    doc = {"name": "wf", "nodes": [{"id": "t", "type": "core.manual"}], "connections": []}
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "forged"}):
        resp = await anon_client.post("/api/workflows", json=doc, headers=headers)
        assert resp.status_code == 403, resp.text
        assert resp.json()["code"] == "csrf_failed"
    assert (await anon_client.get("/api/workflows")).json()["total"] == 0
    resp = await anon_client.post("/api/workflows", json=doc, headers=_csrf(anon_client))
    assert resp.status_code == 201, resp.text


async def test_every_unsafe_route_needs_the_csrf_header(
    runtime: Runtime, anon_client: httpx.AsyncClient
) -> None:
    """The class: every cookie-authenticated POST/PUT/PATCH/DELETE under /api."""
    await _setup_owner(anon_client)
    await _browser_login(anon_client)
    unsafe = [(m, p) for m, p in api_operations(runtime) if m in UNSAFE and (m, p) not in PUBLIC]
    assert len(unsafe) >= 15, unsafe
    for method, path in unsafe:
        resp = await anon_client.request(method, path, json={})
        assert resp.status_code == 403, (method, path, resp.text)
        assert resp.json()["code"] == "csrf_failed", (method, path)
    # The owner still exists and can act with the header.
    me = await anon_client.get("/api/auth/me")
    assert me.status_code == 200


async def test_csrf_token_of_another_session_is_refused(
    runtime: Runtime, anon_client: httpx.AsyncClient
) -> None:
    """Double-submit alone would accept any cookie/header pair an attacker could plant; the
    CSRF token must also be the one issued with this session."""
    await _setup_owner(anon_client)
    await _browser_login(anon_client)
    planted = "a-token-of-the-attackers-choice"
    anon_client.cookies.set("wirework_csrf", planted, domain=JAR_HOST, path="/")
    resp = await anon_client.post(
        "/api/api-keys", json={"name": "k"}, headers={"X-CSRF-Token": planted}
    )
    assert resp.status_code == 403 and resp.json()["code"] == "csrf_failed"


async def test_logout_clears_the_cookies(anon_client: httpx.AsyncClient) -> None:
    await _setup_owner(anon_client)
    await _browser_login(anon_client)
    resp = await anon_client.post("/api/auth/logout")
    assert resp.status_code == 204
    cookies = _set_cookies(resp)
    assert "max-age=0" in cookies["wirework_session"] and "path=/api" in cookies["wirework_session"]
    assert "max-age=0" in cookies["wirework_csrf"]
    assert "wirework_session" not in anon_client.cookies
    resp = await anon_client.get("/api/auth/me")
    assert resp.status_code == 401 and resp.json()["code"] == "unauthorized"


async def test_expired_or_revoked_session_is_401(
    runtime: Runtime, anon_client: httpx.AsyncClient
) -> None:
    await _setup_owner(anon_client)
    async with runtime.sessionmaker() as db:
        user = await db.scalar(select(User).where(User.email == OWNER_EMAIL))
        assert user is not None
        expired = sessions.create_session(user, runtime.signing_key, ttl_s=-10)
    anon_client.cookies.set("wirework_session", expired.token, domain=JAR_HOST, path="/api")
    resp = await anon_client.get("/api/auth/me")
    assert resp.status_code == 401 and "expired" in resp.json()["detail"]
    # An unsafe request with an expired session is a 401 too (the UI goes to log-in).
    anon_client.cookies.set("wirework_csrf", expired.csrf_token, domain=JAR_HOST, path="/")
    resp = await anon_client.post("/api/api-keys", json={"name": "k"}, headers=_csrf(anon_client))
    assert resp.status_code == 401

    anon_client.cookies.clear()
    await _browser_login(anon_client)
    me = (await anon_client.get("/api/auth/me")).json()
    resp = await anon_client.patch(
        f"/api/users/{me['id']}",
        json={"password": "another password", "current_password": OWNER_PASSWORD},
        headers=_csrf(anon_client),
    )
    assert resp.status_code == 200, resp.text
    resp = await anon_client.get("/api/auth/me")
    assert resp.status_code == 401 and "revoked" in resp.json()["detail"]


async def test_session_status_never_401(runtime: Runtime, anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.get("/api/auth/session")).json() == {"user": None}
    await _setup_owner(anon_client)
    await _browser_login(anon_client)
    resp = await anon_client.get("/api/auth/session")
    assert resp.status_code == 200 and resp.json()["user"]["email"] == OWNER_EMAIL
    async with runtime.sessionmaker() as db:
        user = await db.scalar(select(User).where(User.email == OWNER_EMAIL))
        assert user is not None
        expired = sessions.create_session(user, runtime.signing_key, ttl_s=-10)
    anon_client.cookies.set("wirework_session", expired.token, domain=JAR_HOST, path="/api")
    resp = await anon_client.get("/api/auth/session")
    assert resp.status_code == 200 and resp.json() == {"user": None}
    assert "max-age=0" in _set_cookies(resp)["wirework_session"]  # the dead cookie is cleared


async def test_login_tokens_and_session_tokens_do_not_mix(anon_client: httpx.AsyncClient) -> None:
    token = await _setup_owner(anon_client)
    anon_client.cookies.set("wirework_session", token, domain=JAR_HOST, path="/api")
    resp = await anon_client.get("/api/auth/me")
    assert resp.status_code == 401
    # ...and a session token is not a bearer token.
    anon_client.cookies.clear()
    await _browser_login(anon_client)
    session_token = anon_client.cookies["wirework_session"]
    anon_client.cookies.clear()
    resp = await anon_client.get("/api/auth/me", headers=bearer(session_token))
    assert resp.status_code == 401 and resp.json()["detail"] == "invalid token"


async def test_bearer_and_api_keys_need_no_csrf(anon_client: httpx.AsyncClient) -> None:
    token = await _setup_owner(anon_client)
    resp = await anon_client.post("/api/api-keys", json={"name": "ci"}, headers=bearer(token))
    assert resp.status_code == 201, resp.text
    key = resp.json()["key"]
    await _browser_login(anon_client)  # a session cookie is present too: bearer wins
    for credential in (token, key):
        resp = await anon_client.post(
            "/api/integration-types",
            json={"name": f"t{len(credential)}", "display_name": "T", "parameters": []},
            headers=bearer(credential),
        )
        assert resp.status_code == 201, resp.text
        me = await anon_client.get("/api/auth/me", headers=bearer(credential))
        assert me.status_code == 200 and me.json()["email"] == OWNER_EMAIL
    resp = await anon_client.post("/api/auth/login", json=CREDENTIALS)
    assert resp.status_code == 200 and resp.json()["access_token"]
    assert "set-cookie" not in resp.headers


@pytest.mark.parametrize(
    ("base_url", "trusted", "forwarded", "secure"),
    [
        ("https://testserver", "", None, True),
        ("http://testserver", "", "https", False),  # an untrusted client cannot claim HTTPS
        ("http://testserver", "127.0.0.1", "https", True),
        ("http://testserver", "10.0.0.0/8, 127.0.0.0/8", "https, http", True),
        ("http://testserver", "127.0.0.1", "http", False),
        ("http://testserver", "not-an-address", "https", False),
    ],
)
async def test_secure_cookie_when_the_request_came_over_https(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    base_url: str,
    trusted: str,
    forwarded: str | None,
    secure: bool,
) -> None:
    monkeypatch.setattr(runtime.settings, "trusted_proxies", trusted)
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        await _setup_owner(client)
        headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
        resp = await client.post("/api/auth/session", json=CREDENTIALS, headers=headers)
        assert resp.status_code == 200, resp.text
        for name, header in _set_cookies(resp).items():
            assert ("; secure" in header) is secure, (name, header)

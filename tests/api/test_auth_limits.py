"""Rate limits on every credential-guessing surface: login (per account and per client),
set-up after set-up, bearer tokens (API keys and login tokens), password changes."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from pydantic import ValidationError

from tests.conftest import OWNER_EMAIL, OWNER_PASSWORD
from wirework.api.app import create_app
from wirework.services import auth
from wirework.services.admin import masked_settings
from wirework.services.runtime import Runtime
from wirework.settings import Settings

PASSWORD = "password-123"
ACCOUNT_LIMIT = 3
CLIENT_LIMIT = 6
TOKEN_LIMIT = 4

ClientFor = Callable[[str], httpx.AsyncClient]


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs: the same code path, without 125 ms per hash."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth, "_hasher", cheap)


def _limited(runtime: Runtime, **limits: str) -> Runtime:
    settings = runtime.settings.model_copy(
        update={
            "login_rate_limit": f"{ACCOUNT_LIMIT}/minute",
            "login_client_rate_limit": f"{CLIENT_LIMIT}/minute",
            "auth_rate_limit": f"{TOKEN_LIMIT}/minute",
            **limits,
        }
    )
    return dataclasses.replace(runtime, settings=settings)


async def _clients(runtime: Runtime) -> AsyncIterator[ClientFor]:
    """Clients of one app (one set of counters), each from its own loopback address."""
    app = create_app(runtime=runtime)
    opened: list[httpx.AsyncClient] = []

    def client_for(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(address, 40000)
        )
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(client)
        return client

    yield client_for
    for client in opened:
        await client.aclose()


@pytest.fixture
async def clients(runtime: Runtime) -> AsyncIterator[ClientFor]:
    async for client_for in _clients(_limited(runtime)):
        yield client_for


@pytest.fixture
async def owner(clients: ClientFor) -> dict[str, str]:
    """Set up the owner and an editor; the owner's auth header."""
    c = clients("127.0.0.1")
    resp = await c.post("/api/setup", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
    assert resp.status_code == 201, resp.text
    h = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    resp = await c.post(
        "/api/users", json={"email": "ed@example.com", "password": PASSWORD}, headers=h
    )
    assert resp.status_code == 201, resp.text
    return h


async def _login(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await c.post("/api/auth/login", json={"email": email, "password": password})


def _assert_limited(resp: httpx.Response, *secrets: str) -> None:
    assert resp.status_code == 429, resp.text
    body = resp.json()
    assert body["code"] == "too_many_attempts" and "try again in" in body["detail"]
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    for secret in secrets:
        assert secret not in resp.text


async def test_login_failures_are_limited_per_account(
    clients: ClientFor, owner: dict[str, str]
) -> None:
    attacker = clients("127.0.0.2")
    for _ in range(ACCOUNT_LIMIT):
        assert (await _login(attacker, OWNER_EMAIL, "guess")).status_code == 401
    # The account takes no more attempts, whatever the password or address.
    _assert_limited(await _login(attacker, OWNER_EMAIL, "guess"), "guess")
    _assert_limited(await _login(attacker, OWNER_EMAIL, OWNER_PASSWORD), OWNER_PASSWORD)
    _assert_limited(await _login(clients("127.0.0.3"), " Owner@Example.com", OWNER_PASSWORD))
    # Another account logs in, from the attacker's address too.
    assert (await _login(attacker, "ed@example.com", PASSWORD)).status_code == 200
    assert (await _login(clients("127.0.0.4"), "ed@example.com", PASSWORD)).status_code == 200


async def test_login_failures_are_limited_per_client(
    clients: ClientFor, owner: dict[str, str]
) -> None:
    """Guessing across many accounts from one address (even unknown ones)."""
    attacker = clients("127.0.0.2")
    for i in range(CLIENT_LIMIT):
        assert (await _login(attacker, f"user{i}@example.com", "guess")).status_code == 401
    _assert_limited(await _login(attacker, "another@example.com", "guess"))
    _assert_limited(await _login(attacker, "ed@example.com", PASSWORD))
    # Other addresses are not held back.
    assert (await _login(clients("127.0.0.3"), "ed@example.com", PASSWORD)).status_code == 200
    assert (await _login(clients("127.0.0.3"), OWNER_EMAIL, OWNER_PASSWORD)).status_code == 200


async def test_successes_do_not_count(clients: ClientFor, owner: dict[str, str]) -> None:
    """Only failures count: many logins from one address are never held back."""
    c = clients("127.0.0.1")
    for _ in range(ACCOUNT_LIMIT - 1):
        assert (await _login(c, "ed@example.com", "typo")).status_code == 401
    for _ in range(CLIENT_LIMIT * 2):
        assert (await _login(c, "ed@example.com", PASSWORD)).status_code == 200
        assert (await _login(c, OWNER_EMAIL, OWNER_PASSWORD)).status_code == 200


async def test_concurrent_guesses_cannot_slip_past(
    clients: ClientFor, owner: dict[str, str]
) -> None:
    attacker = clients("127.0.0.2")
    results = await asyncio.gather(*(_login(attacker, OWNER_EMAIL, f"guess{i}") for i in range(20)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(401) == ACCOUNT_LIMIT and codes.count(429) == 20 - ACCOUNT_LIMIT


async def test_an_account_is_held_back_for_a_window_not_for_ever(
    runtime: Runtime,
) -> None:
    limited = _limited(runtime, login_rate_limit="2/second")
    async for client_for in _clients(limited):
        c = client_for("127.0.0.1")
        resp = await c.post("/api/setup", json={"email": OWNER_EMAIL, "password": OWNER_PASSWORD})
        assert resp.status_code == 201
        attacker = client_for("127.0.0.2")
        for _ in range(2):
            assert (await _login(attacker, OWNER_EMAIL, "guess")).status_code == 401
        _assert_limited(await _login(c, OWNER_EMAIL, OWNER_PASSWORD))
        # Refused attempts do not extend the window: the owner gets in once it moved on.
        deadline = asyncio.get_running_loop().time() + 15
        while (resp := await _login(c, OWNER_EMAIL, OWNER_PASSWORD)).status_code == 429:
            assert asyncio.get_running_loop().time() < deadline, "still refused after 15 s"
            await asyncio.sleep(0.1)
        assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(
    "token",
    [
        "ww_" + "x" * 43,  # an API key that does not exist
        "not.a.jwt",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged",
    ],
)
async def test_wrong_bearer_tokens_are_limited_per_client(
    clients: ClientFor, owner: dict[str, str], token: str
) -> None:
    attacker = clients("127.0.0.2")
    wrong = {"Authorization": f"Bearer {token}"}
    for _ in range(TOKEN_LIMIT):
        assert (await attacker.get("/api/workflows", headers=wrong)).status_code == 401
    _assert_limited(await attacker.get("/api/workflows", headers=wrong), token)
    _assert_limited(await attacker.get("/api/users/me", headers=owner))
    # Other clients, and requests without a token, are not affected.
    assert (await clients("127.0.0.1").get("/api/users/me", headers=owner)).status_code == 200
    assert (await attacker.get("/api/users/me")).status_code == 401


async def test_setup_after_setup_is_limited(clients: ClientFor, owner: dict[str, str]) -> None:
    attacker = clients("127.0.0.2")
    body = {"email": "x@example.com", "password": "a long password"}
    for _ in range(CLIENT_LIMIT):
        assert (await attacker.post("/api/setup", json=body)).status_code == 409
    _assert_limited(await attacker.post("/api/setup", json=body))


async def test_current_password_checks_are_limited(
    clients: ClientFor, owner: dict[str, str]
) -> None:
    """A stolen login token must not become a way to guess the password."""
    c = clients("127.0.0.2")
    me = (await c.get("/api/users/me", headers=owner)).json()["id"]
    url = f"/api/users/{me}"
    for i in range(ACCOUNT_LIMIT):
        resp = await c.patch(
            url, json={"password": "new password!", "current_password": f"guess{i}"}, headers=owner
        )
        assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "current_password"
    resp = await c.patch(
        url,
        json={"password": "new password!", "current_password": OWNER_PASSWORD},
        headers=owner,
    )
    _assert_limited(resp, OWNER_PASSWORD)
    # The same account counter as logins.
    _assert_limited(await _login(clients("127.0.0.3"), OWNER_EMAIL, OWNER_PASSWORD))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("login_rate_limit", "lots"),
        ("login_client_rate_limit", "0/minute"),
        ("auth_rate_limit", ""),
        ("rate_limit_storage_uri", "ftp://example"),
    ],
)
def test_bad_rate_limit_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**{name: value})  # type: ignore[arg-type]
    assert info.value.errors()[0]["loc"] == (name,)


def test_settings_take_limits_and_mask_the_storage_uri() -> None:
    settings = Settings(
        login_rate_limit="5/minute;30/hour", rate_limit_storage_uri="redis://:hunter2@127.0.0.1"
    )
    assert settings.login_rate_limit == "5/minute;30/hour"
    assert "hunter2" not in str(masked_settings(settings))

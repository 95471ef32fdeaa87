"""Webhook authentication (header token, basic, HMAC with timestamp), delivery idempotency and
the per-webhook body limit — against the real app, on every database."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from wirework.db.models import Integration, WebhookDelivery
from wirework.services import auth as auth_service
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime
from wirework.services.webhook_deliveries import DELIVERY_GRACE_S, DeliveryKey
from wirework.services.webhook_targets import UNREADABLE_AUTH, AuthConfig, targets_of
from wirework.services.webhooks import (
    AuthUnavailable,
    check_auth,
    mark_workflows_changed,
    signature,
)

TOKEN = "tok-🔑-c0rrect-horse"
TOKEN_H = TOKEN.encode()  # as header bytes (UTF-8)
USERNAME = "hook-user"
PASSWORD = "p@ss:w0rd-with-colon"
SECRET = "whsec_8f1c2b7e9d4a"
WRONG = "wrong-guess-9911"
UNAUTHORIZED = {"detail": "authentication failed", "code": "webhook_unauthorized", "errors": []}

HOOK_TYPE = {
    "name": "hooksecrets",
    "display_name": "Webhook secrets",
    "parameters": [
        {"name": "token", "type": "password"},
        {"name": "username", "type": "string"},
        {"name": "password", "type": "password"},
        {"name": "secret", "type": "password"},
    ],
}


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(auth_service, "_hasher", cheap)


@pytest.fixture
async def creds(client: httpx.AsyncClient) -> int:
    """An integration holding every credential field the auth types read."""
    resp = await client.post("/api/integration-types", json=HOOK_TYPE)
    assert resp.status_code == 201, resp.text
    return await integration(
        client,
        "hook creds",
        token=TOKEN,
        username=USERNAME,
        password=PASSWORD,
        secret=SECRET,
    )


async def integration(client: httpx.AsyncClient, name: str, **credentials: Any) -> int:
    resp = await client.post(
        "/api/integrations",
        json={"name": name, "type": "hooksecrets", "credentials": credentials},
    )
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def hook_doc(path: str, respond: str = "immediately", **params: Any) -> dict[str, Any]:
    return {
        "name": f"hook {path}",
        "nodes": [
            {
                "id": "hook",
                "type": "core.webhook",
                "params": {"path": path, "method": "POST", "respond": respond, **params},
            },
            {
                "id": "set",
                "type": "core.set",
                "params": {"fields": {"title": "{{ json.body.title }}"}, "keep_input": False},
            },
        ],
        "connections": [{"from": "hook", "to": "set"}],
    }


async def create(client: httpx.AsyncClient, doc: dict[str, Any], active: bool = True) -> int:
    resp = await client.post("/api/workflows", json={**doc, "active": active})
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def executions(client: httpx.AsyncClient, workflow_id: int) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/workflows/{workflow_id}/executions")
    assert resp.status_code == 200, resp.text
    return list(resp.json()["items"])


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sign(body: bytes, timestamp: str | None = None, secret: str = SECRET) -> str:
    message = body if timestamp is None else timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def assert_refused(resp: httpx.Response, *, challenge: bool = False) -> None:
    assert resp.status_code == 401, resp.text
    assert resp.json() == UNAUTHORIZED
    assert ("www-authenticate" in resp.headers) is challenge
    for secret in (TOKEN, PASSWORD, SECRET):
        assert secret not in resp.text


# --------------------------------------------------------------------------- header token


async def test_header_token(client: httpx.AsyncClient, creds: int, runtime: Runtime) -> None:
    auth = {"type": "header", "integration_id": creds, "header": "X-Hook-Token"}
    wf = await create(client, hook_doc("tok", "last_node", auth=auth))
    ok = await client.post("/webhook/tok", json={"title": "a"}, headers={"X-Hook-Token": TOKEN_H})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"title": "a"}

    assert_refused(
        await client.post("/webhook/tok", json={"title": "b"}, headers={"X-Hook-Token": WRONG})
    )
    assert_refused(await client.post("/webhook/tok", json={"title": "c"}))
    assert_refused(
        await client.post(
            "/webhook/tok", json={"title": "d"}, headers={"X-Hook-Token": TOKEN_H + b"x"}
        )
    )
    # The token in another header does not count.
    assert_refused(
        await client.post(
            "/webhook/tok", json={"title": "e"}, headers={"Authorization": b"Bearer " + TOKEN_H}
        )
    )
    # Only the accepted request ran, and the token is not stored with it.
    runs = await executions(client, wf)
    assert len(runs) == 1
    record = (await client.get(f"/api/executions/{runs[0]['id']}")).text
    assert TOKEN not in record and TOKEN.encode("utf-8").decode("latin-1") not in record
    assert '"x-hook-token":"********"' in record.replace(" ", "")


async def test_header_token_default_authorization_accepts_bearer(
    client: httpx.AsyncClient, creds: int
) -> None:
    await create(client, hook_doc("bear", auth={"type": "header", "integration_id": creds}))
    for value in (TOKEN_H, b"Bearer " + TOKEN_H, b"bearer " + TOKEN_H):
        resp = await client.post("/webhook/bear", json={}, headers={"Authorization": value})
        assert resp.status_code == 200, (value, resp.text)
    assert_refused(
        await client.post("/webhook/bear", json={}, headers={"Authorization": f"Bearer {WRONG}"})
    )
    assert_refused(await client.post("/webhook/bear", json={}, headers={"Authorization": ""}))


async def test_test_url_enforces_auth_too(client: httpx.AsyncClient, creds: int) -> None:
    auth = {"type": "header", "integration_id": creds, "header": "X-Hook-Token"}
    wf = await create(client, hook_doc("draft", "last_node", auth=auth), active=False)
    # Not armed: the plain 404 of an unknown path, not a 401 that reveals the webhook.
    unarmed = await client.post("/webhook-test/draft", json={"title": "t"})
    assert unarmed.status_code == 404 and unarmed.json()["code"] == "not_found"
    assert (await client.post(f"/api/workflows/{wf}/test-webhook")).status_code == 201
    assert_refused(await client.post("/webhook-test/draft", json={"title": "t"}))
    # A refused call does not use up the armed test URL.
    resp = await client.post(
        "/webhook-test/draft", json={"title": "t"}, headers={"X-Hook-Token": TOKEN_H}
    )
    assert resp.status_code == 200 and resp.json() == {"title": "t"}


# --------------------------------------------------------------------------- basic


async def test_basic_auth(client: httpx.AsyncClient, creds: int) -> None:
    wf = await create(client, hook_doc("basic", auth={"type": "basic", "integration_id": creds}))
    ok = await client.post(
        "/webhook/basic", json={}, headers={"Authorization": basic(USERNAME, PASSWORD)}
    )
    assert ok.status_code == 200, ok.text
    for value in (
        basic(USERNAME, WRONG),
        basic(WRONG, PASSWORD),
        basic(USERNAME, PASSWORD + "x"),
        basic(USERNAME, ""),
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        f"Bearer {PASSWORD}",
        PASSWORD,
    ):
        resp = await client.post("/webhook/basic", json={}, headers={"Authorization": value})
        assert_refused(resp, challenge=True)
        assert resp.headers["www-authenticate"].startswith("Basic ")
    assert_refused(await client.post("/webhook/basic", json={}), challenge=True)
    # httpx's own basic auth works (the password holds a colon: split at the first one).
    resp = await client.post("/webhook/basic", json={}, auth=(USERNAME, PASSWORD))
    assert resp.status_code == 200
    runs = await executions(client, wf)
    assert len(runs) == 2
    record = (await client.get(f"/api/executions/{runs[0]['id']}")).text
    assert PASSWORD not in record and base64.b64encode(PASSWORD.encode()).decode() not in record


# --------------------------------------------------------------------------- hmac


async def test_hmac_signature_over_raw_body(client: httpx.AsyncClient, creds: int) -> None:
    auth = {"type": "hmac", "integration_id": creds, "header": "X-Hub-Signature-256"}
    wf = await create(client, hook_doc("gh", "last_node", auth=auth))
    body = json.dumps({"title": "signed"}).encode()
    headers = {"content-type": "application/json"}

    ok = await client.post(
        "/webhook/gh", content=body, headers={**headers, "X-Hub-Signature-256": sign(body)}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"title": "signed"}
    # A bare hex digest (no sha256= prefix), in upper case, is accepted too.
    bare = sign(body).removeprefix("sha256=").upper()
    resp = await client.post(
        "/webhook/gh", content=body, headers={**headers, "X-Hub-Signature-256": bare}
    )
    assert resp.status_code == 200

    tampered = json.dumps({"title": "signed!"}).encode()
    sigs: list[tuple[bytes, str | bytes]] = [
        (tampered, sign(body)),  # body changed after signing
        (body, sign(body, secret=WRONG)),  # signed with another secret
        (body, sign(body, timestamp="1")),  # signed over something else
        (body, "sha256=" + "0" * 64),
        (body, "sha256=not-hex-é".encode()),
        (body, ""),
    ]
    for content, sig in sigs:
        resp = await client.post(
            "/webhook/gh", content=content, headers={**headers, "X-Hub-Signature-256": sig}
        )
        assert_refused(resp)
    assert_refused(await client.post("/webhook/gh", content=body, headers=headers))
    assert len(await executions(client, wf)) == 2


async def test_hmac_with_timestamp_tolerance(client: httpx.AsyncClient, creds: int) -> None:
    auth = {
        "type": "hmac",
        "integration_id": creds,
        "timestamp_header": "X-Timestamp",
        "tolerance_s": 60,
    }
    wf = await create(client, hook_doc("ts", auth=auth))
    body = b'{"title": "on time"}'

    async def post(timestamp: str | None, sig: str | None, content: bytes = body) -> Any:
        headers = {"content-type": "application/json"}
        if timestamp is not None:
            headers["X-Timestamp"] = timestamp
        if sig is not None:
            headers["X-Signature"] = sig  # the default signature header
        return await client.post("/webhook/ts", content=content, headers=headers)

    now = str(int(time.time()))
    ok = await post(now, sign(body, now))
    assert ok.status_code == 200, ok.text
    slightly_off = str(int(time.time()) - 30)
    assert (await post(slightly_off, sign(body, slightly_off))).status_code == 200

    expired = str(int(time.time()) - 3600)
    future = str(int(time.time()) + 3600)
    assert_refused(await post(expired, sign(body, expired)))  # correctly signed, too old
    assert_refused(await post(future, sign(body, future)))  # correctly signed, too new
    assert_refused(await post(now, sign(body)))  # signature without the timestamp
    assert_refused(await post(now, sign(body, slightly_off)))  # another timestamp signed
    assert_refused(await post(None, sign(body, now)))  # timestamp header missing
    assert_refused(await post("soon", sign(body, "soon")))  # not Unix seconds
    assert_refused(await post(now + ".5", sign(body, now + ".5")))
    assert_refused(await post(now, sign(body, now), content=body + b" "))  # tampered body
    assert_refused(await post(now, None))
    assert len(await executions(client, wf)) == 2


def test_check_auth_unit() -> None:
    """The verifier itself: constant-time comparisons over bytes, never an exception for odd
    input."""
    auth = AuthConfig(type="hmac", integration_id=1, header="x-signature")
    body = b"payload"
    good = signature(SECRET, body)
    assert check_auth(auth, {"secret": SECRET}, {"x-signature": good}, body) is None
    assert check_auth(auth, {"secret": SECRET}, {"x-signature": "ü" * 64}, body) is not None
    ts_auth = AuthConfig(
        type="hmac",
        integration_id=1,
        header="x-signature",
        timestamp_header="x-ts",
        tolerance_s=10,
    )
    sig = signature(SECRET, body, "1000")
    headers = {"x-signature": sig, "x-ts": "1000"}
    assert check_auth(ts_auth, {"secret": SECRET}, headers, body, now=1005) is None
    assert check_auth(ts_auth, {"secret": SECRET}, headers, body, now=1011) == (
        "timestamp outside tolerance"
    )
    assert check_auth(ts_auth, {"secret": SECRET}, headers, body, now=989) is not None
    header = AuthConfig(type="header", integration_id=1, header="x-token")
    assert check_auth(header, {"token": TOKEN}, {"x-token": "é\x00"}) == "wrong token"


async def test_unreadable_auth_refuses_everything(runtime: Runtime) -> None:
    """A stored document whose auth cannot be read (saved by an older version, edited in the
    database) never runs open."""
    doc = hook_doc("odd", auth={"type": "header", "integration_id": "one"})
    (target,) = targets_of(1, 1, doc)
    assert target.auth is UNREADABLE_AUTH
    engine = await ensure_engine(runtime)
    with pytest.raises(AuthUnavailable):
        await engine.webhooks.authenticate(target.auth, runtime.vault, {}, b"")
    (plain,) = targets_of(1, 1, hook_doc("plain", idempotency_header="X-Delivery"))
    assert plain.auth is None and plain.idempotency_header == "x-delivery"


# --------------------------------------------------------------------------- secrets, logs


async def test_secrets_never_in_logs_or_responses(
    client: httpx.AsyncClient, creds: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await create(
        client,
        hook_doc("h1", auth={"type": "header", "integration_id": creds, "header": "X-T"}),
    )
    await create(client, hook_doc("b1", auth={"type": "basic", "integration_id": creds}))
    await create(client, hook_doc("s1", auth={"type": "hmac", "integration_id": creds}))
    body = b'{"title": "x"}'
    responses = [
        await client.post("/webhook/h1", json={}, headers={"X-T": WRONG}),
        await client.post("/webhook/h1", json={}, headers={"X-T": TOKEN_H}),
        await client.post(
            "/webhook/b1", json={}, headers={"Authorization": basic(USERNAME, WRONG)}
        ),
        await client.post("/webhook/b1", json={}, auth=(USERNAME, PASSWORD)),
        await client.post("/webhook/s1", content=body, headers={"X-Signature": sign(b"other")}),
        await client.post("/webhook/s1", content=body, headers={"X-Signature": sign(body)}),
    ]
    assert [r.status_code for r in responses] == [401, 200, 401, 200, 401, 200]
    logged = caplog.text
    assert "authentication failed" in logged  # failures are logged, with the reason only
    forbidden = [
        TOKEN,
        WRONG,
        PASSWORD,
        SECRET,
        base64.b64encode(f"{USERNAME}:{WRONG}".encode()).decode(),
        base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode(),
        sign(body).removeprefix("sha256="),
        sign(b"other").removeprefix("sha256="),
    ]
    for value in forbidden:
        assert value not in logged, value
        for resp in responses:
            assert value not in resp.text, value
    for record in caplog.records:
        assert not record.exc_info  # no tracebacks


# --------------------------------------------------------------------------- credentials


async def test_missing_deactivated_or_incomplete_integration_refuses(
    client: httpx.AsyncClient, creds: int, caplog: pytest.LogCaptureFixture, runtime: Runtime
) -> None:
    caplog.set_level(logging.DEBUG)
    auth = {"type": "header", "integration_id": creds, "header": "X-T"}
    await create(client, hook_doc("cached", auth=auth))
    ok = await client.post("/webhook/cached", json={}, headers={"X-T": TOKEN_H})
    assert ok.status_code == 200  # the credentials are cached now

    # Deactivating the integration takes effect at once (the cache is dropped).
    resp = await client.post(f"/api/integrations/{creds}/deactivate")
    assert resp.status_code == 200
    refused = await client.post("/webhook/cached", json={}, headers={"X-T": TOKEN_H})
    assert refused.status_code == 401
    assert refused.json()["code"] == "webhook_auth_unavailable"
    assert refused.json()["errors"] == [] and TOKEN not in refused.text
    assert f"integration {creds} is missing or deactivated" in caplog.text
    assert (await client.post(f"/api/integrations/{creds}/activate")).status_code == 200
    assert (
        await client.post("/webhook/cached", json={}, headers={"X-T": TOKEN_H})
    ).status_code == 200

    # Changing the token takes effect at once too.
    new_token = "rotated-token-77"
    resp = await client.patch(
        f"/api/integrations/{creds}", json={"credentials": {"token": new_token}}
    )
    assert resp.status_code == 200, resp.text
    assert_refused(await client.post("/webhook/cached", json={}, headers={"X-T": TOKEN_H}))
    assert (
        await client.post("/webhook/cached", json={}, headers={"X-T": new_token})
    ).status_code == 200

    # An integration without the field the auth type reads.
    only_secret = await integration(client, "only secret", secret=SECRET)
    auth = {"type": "basic", "integration_id": only_secret}
    await create(client, hook_doc("incomplete", auth=auth))
    resp = await client.post("/webhook/incomplete", json={}, auth=(USERNAME, PASSWORD))
    assert resp.status_code == 401 and resp.json()["code"] == "webhook_auth_unavailable"
    assert resp.headers["www-authenticate"].startswith("Basic ")
    assert "credential field 'username' is not set" in caplog.text

    # A deleted integration: the API refuses while a workflow uses it (409); one removed by
    # other means (a restored backup, a hand-edited database) refuses the webhook.
    assert (await client.delete(f"/api/integrations/{only_secret}")).status_code == 409
    async with runtime.sessionmaker() as session:
        await session.execute(delete(Integration).where(Integration.id == only_secret))
        mark_workflows_changed(session)
        await session.commit()
    resp = await client.post("/webhook/incomplete", json={}, auth=(USERNAME, PASSWORD))
    assert resp.status_code == 401 and resp.json()["code"] == "webhook_auth_unavailable"
    for secret in (TOKEN, new_token, PASSWORD, SECRET):
        assert secret not in caplog.text
    for record in caplog.records:
        assert not record.exc_info


async def test_auth_validated_at_save_time(client: httpx.AsyncClient, creds: int) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"auth": {"type": "hmac", "integration_id": creds, "header": ""}}, "auth.header"),
        (
            {"auth": {"type": "hmac", "integration_id": creds, "header": "Bad Header"}},
            "auth.header",
        ),
        (
            {
                "auth": {
                    "type": "hmac",
                    "integration_id": creds,
                    "timestamp_header": "X-Signature",
                }
            },
            "auth.timestamp_header",
        ),
        (
            {"auth": {"type": "header", "integration_id": creds, "timestamp_header": "X-T"}},
            "auth.timestamp_header",
        ),
        ({"auth": {"type": "basic", "integration_id": creds, "header": "X-U"}}, "auth.header"),
        ({"auth": {"type": "oauth", "integration_id": creds}}, "auth.type"),
        ({"auth": {"type": "header"}}, "auth.integration_id"),
        ({"auth": {"type": "header", "integration_id": 0}}, "auth.integration_id"),
        ({"auth": {"type": "header", "integration_id": 999999}}, "auth.integration_id"),
        ({"auth": {"type": "header", "integration_id": creds, "secret": "x"}}, "auth.secret"),
        ({"idempotency_header": "X Delivery"}, "idempotency_header"),
        ({"idempotency_header": "{{ json.x }}"}, "idempotency_header"),
        ({"max_body_bytes": 0}, "max_body_bytes"),
        ({"max_body_bytes": "{{ 10 }}"}, "max_body_bytes"),
    ]
    for params, field in cases:
        resp = await client.post("/api/workflows", json=hook_doc("v", **params))
        assert resp.status_code == 422, (params, resp.text)
        fields = [e["field"] for e in resp.json()["errors"]]
        assert f"nodes[0].params.{field}" in fields, (params, fields)


# --------------------------------------------------------------------------- idempotency


async def test_repeated_delivery_starts_one_execution(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("idem", idempotency_header="X-Delivery"))
    first = await client.post("/webhook/idem", json={"title": "a"}, headers={"X-Delivery": "d-1"})
    assert first.status_code == 200 and first.json()["status"] == "started"
    execution_id = first.json()["execution_id"]
    again = await client.post("/webhook/idem", json={"title": "a"}, headers={"x-delivery": "d-1"})
    assert again.status_code == 200
    assert again.json() == {"execution_id": execution_id, "status": "duplicate"}
    assert [e["id"] for e in await executions(client, wf)] == [execution_id]

    other = await client.post("/webhook/idem", json={"title": "b"}, headers={"X-Delivery": "d-2"})
    assert other.json()["status"] == "started" and other.json()["execution_id"] != execution_id
    # No delivery id: no idempotency.
    for _ in range(2):
        resp = await client.post("/webhook/idem", json={"title": "c"})
        assert resp.json()["status"] == "started"
    assert len(await executions(client, wf)) == 4

    # The same delivery id for another workflow is another delivery.
    wf2 = await create(client, hook_doc("idem2", idempotency_header="X-Delivery"))
    resp = await client.post("/webhook/idem2", json={}, headers={"X-Delivery": "d-1"})
    assert resp.json()["status"] == "started"
    assert len(await executions(client, wf2)) == 1


async def test_duplicate_of_a_last_node_webhook(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("idem-last", "last_node", idempotency_header="X-D"))
    first = await client.post("/webhook/idem-last", json={"title": "a"}, headers={"X-D": "1"})
    assert first.status_code == 200 and first.json() == {"title": "a"}
    (run,) = await executions(client, wf)
    again = await client.post("/webhook/idem-last", json={"title": "a"}, headers={"X-D": "1"})
    assert again.json() == {"execution_id": run["id"], "status": "duplicate"}
    assert len(await executions(client, wf)) == 1


async def test_concurrent_duplicates_start_exactly_one(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("race", idempotency_header="X-Delivery"))
    responses = await asyncio.gather(
        *[
            client.post("/webhook/race", json={"n": i}, headers={"X-Delivery": "same"})
            for i in range(12)
        ]
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    bodies = [r.json() for r in responses]
    assert sorted(b["status"] for b in bodies).count("started") == 1
    assert len({b["execution_id"] for b in bodies}) == 1
    runs = await executions(client, wf)
    assert [e["id"] for e in runs] == [bodies[0]["execution_id"]]


async def test_idempotency_survives_a_restart(client: httpx.AsyncClient, runtime: Runtime) -> None:
    wf = await create(client, hook_doc("durable", idempotency_header="X-Delivery"))
    first = await client.post("/webhook/durable", json={}, headers={"X-Delivery": "keep"})
    execution_id = first.json()["execution_id"]
    # A new engine host: nothing of the first one's memory is left.
    assert runtime.engine_host is not None
    await runtime.engine_host.stop()
    runtime.engine_host = None
    again = await client.post("/webhook/durable", json={}, headers={"X-Delivery": "keep"})
    assert again.json() == {"execution_id": execution_id, "status": "duplicate"}
    assert len(await executions(client, wf)) == 1


async def test_delivery_id_bounds_and_rejected_requests_claim_nothing(
    client: httpx.AsyncClient, creds: int
) -> None:
    auth = {"type": "header", "integration_id": creds, "header": "X-T"}
    wf = await create(client, hook_doc("bounds", idempotency_header="X-Delivery", auth=auth))
    good = {"X-T": TOKEN_H}
    resp = await client.post("/webhook/bounds", json={}, headers={**good, "X-Delivery": "x" * 201})
    assert resp.status_code == 400 and resp.json()["code"] == "bad_delivery_id"
    assert "200" in resp.json()["detail"]
    resp = await client.post("/webhook/bounds", json={}, headers={**good, "X-Delivery": "y" * 200})
    assert resp.json()["status"] == "started"

    # A refused caller or a bad body does not use up the delivery id.
    resp = await client.post("/webhook/bounds", json={}, headers={"X-Delivery": "z"})
    assert resp.status_code == 401
    resp = await client.post(
        "/webhook/bounds",
        content=b"{not json",
        headers={**good, "X-Delivery": "z", "content-type": "application/json"},
    )
    assert resp.status_code == 400
    resp = await client.post("/webhook/bounds", json={}, headers={**good, "X-Delivery": "z"})
    assert resp.json()["status"] == "started"
    assert len(await executions(client, wf)) == 2


async def test_test_url_ignores_delivery_ids(client: httpx.AsyncClient) -> None:
    wf = await create(client, hook_doc("trial", idempotency_header="X-D"), active=False)
    for _ in range(2):
        assert (await client.post(f"/api/workflows/{wf}/test-webhook")).status_code == 201
        resp = await client.post("/webhook-test/trial", json={}, headers={"X-D": "1"})
        assert resp.json()["status"] == "started"
    assert len(await executions(client, wf)) == 2


async def test_expired_or_lost_deliveries_are_taken_over_and_pruned(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    wf = await create(client, hook_doc("old", idempotency_header="X-D"))
    first = (await client.post("/webhook/old", json={}, headers={"X-D": "a"})).json()
    ttl = runtime.settings.webhook_idempotency_ttl_s
    now = dt.datetime.now(dt.UTC)
    async with runtime.sessionmaker() as session:
        # "a" is older than the retention window; "b" points at an execution that was never
        # recorded (the process died right after remembering it).
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.delivery_id == "a")
            .values(created_at=now - dt.timedelta(seconds=ttl + 10))
        )
        session.add(
            WebhookDelivery(
                workflow_id=wf,
                node_id="hook",
                delivery_id="b",
                execution_id="0" * 32,
                created_at=now - dt.timedelta(seconds=DELIVERY_GRACE_S + 10),
            )
        )
        session.add(
            WebhookDelivery(
                workflow_id=wf,
                node_id="hook",
                delivery_id="c",
                execution_id="1" * 32,
                created_at=now,
            )
        )
        await session.commit()
    again = (await client.post("/webhook/old", json={}, headers={"X-D": "a"})).json()
    assert again["status"] == "started" and again["execution_id"] != first["execution_id"]
    lost = (await client.post("/webhook/old", json={}, headers={"X-D": "b"})).json()
    assert lost["status"] == "started"
    # A recent delivery whose execution is not recorded yet is still a duplicate.
    recent = (await client.post("/webhook/old", json={}, headers={"X-D": "c"})).json()
    assert recent == {"execution_id": "1" * 32, "status": "duplicate"}
    assert len(await executions(client, wf)) == 3

    engine = await ensure_engine(runtime)
    ledger = engine.webhooks.deliveries
    async with runtime.sessionmaker() as session:
        for i in range(5):
            session.add(
                WebhookDelivery(
                    workflow_id=wf,
                    node_id="hook",
                    delivery_id=f"old-{i}",
                    execution_id="2" * 32,
                    created_at=now - dt.timedelta(seconds=ttl + 100 + i),
                )
            )
        await session.commit()
    assert await ledger.prune(ttl) == 5
    async with runtime.sessionmaker() as session:
        left = set((await session.scalars(select(WebhookDelivery.delivery_id))).all())
    assert left == {"a", "b", "c"}

    # Pruning runs now and then, not on every delivery.
    task = ledger._prune_task
    assert task is not None
    await client.post("/webhook/old", json={}, headers={"X-D": "d"})
    assert ledger._prune_task is task

    # Deleting the workflow forgets its deliveries.
    assert (await client.delete(f"/api/workflows/{wf}")).status_code == 204
    async with runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert count == 0


async def test_delivery_key_is_exact(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """Delivery ids differing only in case are different deliveries (binary collation on
    MariaDB's test database; PostgreSQL and SQLite compare exactly)."""
    await create(client, hook_doc("case", idempotency_header="X-D"))
    a = (await client.post("/webhook/case", json={}, headers={"X-D": "AbC"})).json()
    b = (await client.post("/webhook/case", json={}, headers={"X-D": "abc"})).json()
    assert a["status"] == b["status"] == "started"
    assert DeliveryKey(1, "n", "AbC") != DeliveryKey(1, "n", "abc")


# --------------------------------------------------------------------------- body limit


async def test_per_webhook_body_limit(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create(client, hook_doc("small", max_body_bytes=100))
    text = {"content-type": "text/plain"}
    assert (
        await client.post("/webhook/small", content=b"x" * 100, headers=text)
    ).status_code == 200
    resp = await client.post("/webhook/small", content=b"x" * 101, headers=text)
    assert resp.status_code == 413 and resp.json()["code"] == "bad_webhook_body"
    assert "100 bytes" in resp.json()["detail"]

    # The global limit still applies when it is the smaller one.
    await create(client, hook_doc("large", max_body_bytes=100 * 1024 * 1024))
    monkeypatch.setattr(runtime.settings, "webhook_max_body_bytes", 2048)
    assert (
        await client.post("/webhook/large", content=b"x" * 2048, headers=text)
    ).status_code == 200
    assert (
        await client.post("/webhook/large", content=b"x" * 2049, headers=text)
    ).status_code == 413
    # and to webhooks without their own limit
    await create(client, hook_doc("plain"))
    assert (
        await client.post("/webhook/plain", content=b"x" * 2049, headers=text)
    ).status_code == 413

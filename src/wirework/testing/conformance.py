"""The conformance suite: what every integration type declared with the SDK must satisfy.

- metadata: display name, description, a lucide icon, a category, a docs URL, example
  credentials, and a description and example for every action and trigger;
- schemas: every params model's JSON Schema is a valid schema (Draft 2020-12) whose fields
  all have descriptions (the editor's forms), every example validates, credential fields whose
  names say secret are ``SecretStr``;
- secrets masked: an integration made with the example credentials shows every secret as the
  mask in every API response (create, get, list, test connection), and no error a step records
  holds one, even when the service echoes the request's headers;
- errors mapped: a 400, a 429 (after the retries) and a 500 answer of the service fail the
  step with a message naming the service, the status and the service's own words (native
  integrations, ``base_url=None``: a refused connection fails every action with a message
  naming the service);
- idempotency: actions declared with an ``idempotency_header`` send the step's idempotency
  key in it on every request that changes something.
"""

from __future__ import annotations

import json
import re
import secrets as pysecrets
import socket
import tempfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr, ValidationError

from wirework.sdk.integration import IntegrationDefinition
from wirework.sdk.registry import ICON_PATTERN, registry
from wirework.testing.harness import RecordingServer, allow_loopback, run_action

SECRET_NAME = re.compile(r"(secret|token|password|api[_-]?key|private)", re.IGNORECASE)
NOT_SECRET_SUFFIXES = ("_url", "_uri", "_header", "_at", "_in", "_field", "_type", "_query")
MASK = "********"


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.message}"


def _definition(target: str | IntegrationDefinition) -> IntegrationDefinition:
    if isinstance(target, IntegrationDefinition):
        return target
    found = registry.definition(target)
    if found is None:
        raise LookupError(f"no integration type {target!r} is registered")
    return found  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- static


def check_metadata(target: str | IntegrationDefinition) -> list[Problem]:
    d = _definition(target)
    out = []

    def need(ok: bool, where: str, message: str) -> None:
        if not ok:
            out.append(Problem("metadata", where, message))

    need(bool(d.display_name.strip()), d.name, "has no display name")
    need(bool(d.description.strip()), d.name, "has no description")
    need(bool(ICON_PATTERN.match(d.icon)) and d.icon != "plug", d.name, "needs its own icon")
    need(bool(d.category.strip()), d.name, "has no category")
    need(d.docs.startswith("https://"), d.name, "docs must be an https:// URL")
    need(bool(d.example_credentials), d.name, "has no example_credentials")
    need(d.tester is not None, d.name, "has no connection_test")
    need(bool(d.actions), d.name, "declares no action")
    for action in d.actions.values():
        need(bool(action.description.strip()), action.node_type, "has no description")
        need(bool(action.example), action.node_type, "has no example params")
        need(registry.node(action.node_type) is not None, action.node_type, "is not registered")
    for trigger in d.triggers.values():
        need(bool(trigger.description.strip()), trigger.node_type, "has no description")
    return out


def _schema_problems(model: type[BaseModel], where: str) -> list[Problem]:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    out = []
    try:
        schema = model.model_json_schema()
        json.dumps(schema)
        Draft202012Validator.check_schema(schema)
    except (SchemaError, TypeError, ValueError) as exc:
        return [Problem("schemas", where, f"invalid JSON Schema: {exc}")]
    for name, info in model.model_fields.items():
        if not (info.description or "").strip():
            out.append(Problem("schemas", f"{where}.{name}", "has no description"))
    return out


def check_schemas(target: str | IntegrationDefinition) -> list[Problem]:
    d = _definition(target)
    out = _schema_problems(d.credentials, f"{d.name} credentials")
    for name, info in d.credentials.model_fields.items():
        looks_secret = SECRET_NAME.search(name) and not name.endswith(NOT_SECRET_SUFFIXES)
        if looks_secret and info.annotation not in (SecretStr, SecretStr | None):
            out.append(
                Problem(
                    "schemas", f"{d.name} credentials.{name}", "looks secret: type it SecretStr"
                )
            )
    try:
        d.credentials.model_validate(d.example_credentials)
    except ValidationError as exc:
        out.append(Problem("schemas", f"{d.name} example_credentials", str(exc)))
    for action in d.actions.values():
        out += _schema_problems(action.params, action.node_type)
        try:
            action.params.model_validate(action.example, strict=False)
        except ValidationError as exc:
            out.append(Problem("schemas", f"{action.node_type} example", str(exc)))
    for trigger in d.triggers.values():
        out += _schema_problems(trigger.params, trigger.node_type)
    return out


# --------------------------------------------------------------------------- running


def _secret_values(d: IntegrationDefinition) -> dict[str, str]:
    """The example credentials with every secret replaced by a unique canary."""
    values = dict(d.example_credentials)
    for name in d.secret_fields():
        values[name] = f"canary-{name}-{pysecrets.token_hex(8)}"
    return values


def _at(d: IntegrationDefinition, url: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """The credentials pointing at a local server (None: the base URL is not a field)."""
    if d.native is not None:
        if d.native.point_at is None:  # connects nowhere
            return dict(values)
        parts = urlsplit(url)
        return d.native.point_at(dict(values), parts.hostname or "127.0.0.1", parts.port or 80)
    if not isinstance(d.base_url, str) or d.base_url not in d.credentials.model_fields:
        return None
    return {**values, d.base_url: url}


def _closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _native_errors_mapped(d: IntegrationDefinition) -> list[Problem]:
    """A native integration aimed at a closed port: every action fails with a message that
    names the service, and no driver traceback or secret."""
    assert d.native is not None
    if d.native.point_at is None:
        return []  # it connects nowhere: no connection can fail
    out = []
    values = _secret_values(d)
    creds = d.native.point_at(dict(values), "127.0.0.1", _closed_port())
    with allow_loopback():
        for action in d.actions.values():
            run = await run_action(
                action.node_type, action.example, creds, secret_fields=d.secret_fields()
            )
            message = str((run.record.error or {}).get("message", ""))
            where = f"{action.node_type} (connection refused)"
            if run.record.status != "error":
                out.append(Problem("errors", where, "did not fail"))
            elif d.display_name not in message or "Traceback" in message:
                out.append(
                    Problem("errors", where, f"message {message!r} should name {d.display_name}")
                )
    return out


async def check_errors_mapped(target: str | IntegrationDefinition) -> list[Problem]:
    d = _definition(target)
    if d.native is not None:
        return await _native_errors_mapped(d)
    out = []
    values = _secret_values(d)
    answers = [
        (400, {"message": "conformance: the request is wrong", "error": "bad_request"}, {}),
        (429, {"message": "conformance: slow down"}, {"Retry-After": "0"}),
        (500, {"message": "conformance: the service broke"}, {"Retry-After": "0"}),
    ]
    with allow_loopback():
        for status, body, headers in answers:
            with RecordingServer(status=status, body=body, headers=headers) as server:
                creds = _at(d, server.url, values)
                if creds is None:
                    return [
                        Problem("errors", d.name, "base_url is not a credential field: skipped")
                    ]
                for action in d.actions.values():
                    run = await run_action(
                        action.node_type, action.example, creds, secret_fields=d.secret_fields()
                    )
                    error = run.record.error or {}
                    message = str(error.get("message", ""))
                    where = f"{action.node_type} (HTTP {status})"
                    if run.record.status != "error":
                        out.append(Problem("errors", where, "did not fail"))
                    elif not (
                        d.display_name in message
                        and f"HTTP {status}" in message
                        and str(body["message"]) in message
                    ):
                        out.append(
                            Problem(
                                "errors",
                                where,
                                f"message {message!r} should name {d.display_name}, the "
                                "status and the service's message",
                            )
                        )
    return out


async def check_idempotency(target: str | IntegrationDefinition) -> list[Problem]:
    d = _definition(target)
    out = []
    values = _secret_values(d)
    with allow_loopback():
        for action in d.actions.values():
            if not action.idempotency_header:
                continue
            with RecordingServer(status=200, body={}) as server:
                creds = _at(d, server.url, values)
                if creds is None:
                    return [Problem("idempotency", d.name, "base_url is not a field: skipped")]
                run = await run_action(action.node_type, action.example, creds)
                changing = [r for r in server.requests if r.method not in ("GET", "HEAD")]
                key = f"{run.record.id}:n:0"
                header = action.idempotency_header.lower()
                if not changing:
                    out.append(Problem("idempotency", action.node_type, "sent no request"))
                for request in changing:
                    if request.headers.get(header) != key:
                        out.append(
                            Problem(
                                "idempotency",
                                action.node_type,
                                f"{request.method} {request.path} lacks {header}: {key}",
                            )
                        )
    return out


async def check_secrets_masked(target: str | IntegrationDefinition) -> list[Problem]:
    """Through a real app on a temporary SQLite database."""
    import httpx

    from wirework.api.app import create_app
    from wirework.services.runtime import open_runtime
    from wirework.settings import Settings

    d = _definition(target)
    values = _secret_values(d)
    canaries = [values[n] for n in d.secret_fields()]
    out: list[Problem] = []

    def leaks(where: str, text: str) -> None:
        for canary in canaries:
            if canary in text:
                out.append(Problem("secrets", where, "shows a secret in clear"))

    with tempfile.TemporaryDirectory() as data_dir, allow_loopback():
        runtime = await open_runtime(Settings(data_dir=data_dir))
        try:
            app = create_app(runtime=runtime)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                setup = await client.post(
                    "/api/setup", json={"email": "c@example.com", "password": "conformance-pw"}
                )
                client.headers["Authorization"] = f"Bearer {setup.json()['access_token']}"
                with RecordingServer(status=403, body={"message": "echo"}) as server:
                    target_url = server.url
                    if d.native is not None:  # no HTTP: a refused connection, not a hang
                        target_url = f"http://127.0.0.1:{_closed_port()}"
                    creds = _at(d, target_url, values) or values
                    made = await client.post(
                        "/api/integrations",
                        json={"name": "conformance", "type": d.name, "credentials": creds},
                    )
                    if made.status_code != 201:
                        return [Problem("secrets", d.name, f"create failed: {made.text}")]
                    leaks("POST /api/integrations", made.text)
                    for name in d.secret_fields():
                        if made.json()["credentials"].get(name) != MASK:
                            out.append(Problem("secrets", f"{d.name}.{name}", "is not masked"))
                    iid = made.json()["id"]
                    for path in (
                        f"/api/integrations/{iid}",
                        "/api/integrations",
                        "/api/integration-types",
                    ):
                        leaks(f"GET {path}", (await client.get(path)).text)
                    tested = await client.post(
                        "/api/integrations/test", json={"integration_id": iid}
                    )
                    leaks("POST /api/integrations/test", tested.text)
                    # The service echoes what it got: the step's error must not hold it.
                    server.body = {"message": "echo: " + " ".join(canaries)}
                    for action in d.actions.values():
                        run = await run_action(
                            action.node_type, action.example, creds, secret_fields=d.secret_fields()
                        )
                        leaks(f"{action.node_type} error", json.dumps(run.record.error))
        finally:
            await runtime.close()
    return out


async def conformance_problems(target: str | IntegrationDefinition) -> list[Problem]:
    return [
        *check_metadata(target),
        *check_schemas(target),
        *await check_secrets_masked(target),
        *await check_errors_mapped(target),
        *await check_idempotency(target),
    ]


async def assert_conformant(target: str | IntegrationDefinition) -> None:
    """AssertionError listing every problem, if any."""
    problems = await conformance_problems(target)
    assert not problems, "\n".join(str(p) for p in problems)

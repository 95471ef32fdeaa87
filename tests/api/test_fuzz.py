"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis): whatever a
client sends, the API answers 4xx or 2xx, never 5xx.

SQLite only: it runs the app with its own runtime (opened by the app's lifespan) on a
temporary database, seeded with one of everything so ids such as 1 exist. Deterministic:
hypothesis is derandomized and keeps no example database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings

from wirework.api.app import create_app
from wirework.db.models import Execution, ExecutionStep, Workflow, WorkflowVersion
from wirework.schemas.integration_types import IntegrationTypeCreate
from wirework.schemas.integrations import IntegrationCreate
from wirework.schemas.users import ApiKeyCreate, UserCreate
from wirework.services import integration_types, integrations, users
from wirework.services.runtime import open_runtime
from wirework.settings import Settings

T = TypeVar("T")
MAX_EXAMPLES = 25


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a fresh event loop in another thread (this test is synchronous:
    schemathesis drives the app from its own event-loop thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def seed(settings: Settings) -> dict[str, Any]:
    runtime = await open_runtime(settings)
    try:
        async with runtime.sessionmaker() as session:
            owner = await users.setup_owner(
                session,
                UserCreate(email="owner@example.com", password="password-123", role="owner"),
            )
            await users.create(
                session, UserCreate(email="ed@example.com", password="password-123", role="editor")
            )
            key_row, key = await users.create_api_key(session, owner, ApiKeyCreate(name="fuzz"))
            await integration_types.create(
                session,
                IntegrationTypeCreate.model_validate(
                    {
                        "name": "vendor",
                        "parameters": [
                            {"name": "url", "required": True},
                            {"name": "token", "type": "password"},
                            {"name": "n", "type": "number", "default": 1},
                            {"name": "mode", "type": "select", "options": ["a", "b"]},
                        ],
                        "actions": [{"name": "call", "parameters": [{"name": "path"}]}],
                    }
                ),
            )
            await integrations.create(
                session,
                runtime.vault,
                IntegrationCreate(name="v", type="vendor", credentials={"url": "u", "token": "t"}),
            )
            wf = Workflow(name="wf")
            session.add(wf)
            await session.flush()
            session.add(WorkflowVersion(workflow_id=wf.id, version=1, document={"name": "wf"}))
            now = dt.datetime.now(dt.UTC)
            for i in range(3):
                ex_id = f"0190{i:08x}7000{i:016x}"
                session.add(
                    Execution(
                        id=ex_id,
                        workflow_id=wf.id,
                        workflow_version=1,
                        status="success",
                        mode="manual",
                        started_at=now,
                        finished_at=now,
                        result_node="a",
                    )
                )
                await session.flush()
                session.add(
                    ExecutionStep(
                        execution_id=ex_id,
                        node_id="a",
                        status="success",
                        attempt=1,
                        started_at=now,
                        finished_at=now,
                        output=json.dumps({"main": [{"i": i}]}),
                    )
                )
            await session.commit()
            return {"key": key, "key_id": key_row.id, "owner_id": owner.id}
    finally:
        await runtime.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    app_settings = Settings(
        data_dir=data_dir,
        encryption_key=Fernet.generate_key().decode(),
        secret_key="fuzz-signing-key",
    )
    return {**run_in_thread(seed(app_settings)), "settings": app_settings}


@pytest.fixture(scope="module")
def fuzz_app(seeded: dict[str, Any]) -> Iterator[Any]:
    import structlog
    from schemathesis.python import asgi

    app = create_app(seeded["settings"])  # its lifespan opens the runtime on first request
    # Log events are captured, not rendered: structlog's default renderer prints slow rich
    # tracebacks (and this test fails on the exception behind any 500 anyway).
    with structlog.testing.capture_logs():
        yield app
        asgi.shutdown_lifespans()


# The schema comes from an app that is never started (building the OpenAPI document needs no
# database); the requests go to `fuzz_app`. (schemathesis.pytest.from_fixture would be the
# natural way, but schemathesis 4.32's lazy loader does not run under pytest 9.2.)
schema = schemathesis.openapi.from_dict(
    create_app().openapi(),
    # A fixed seed: the same cases on every run (schemathesis otherwise draws a random one).
    # A generous request timeout: on a loaded 2-core machine one answer can take over the
    # default 10 s, which would fail a correct operation.
    config=schemathesis.Config.from_dict(
        {"seed": 20261122, "cache": {"enabled": False}, "request-timeout": 60}
    ),
)


# 5xx answers already reported, with their fix, and not in this test's author's files: they
# make the operation's run an xfail instead of a failure (it passes once they are fixed).
KNOWN_5XX: dict[tuple[str, str], str] = {}


def _is_id(value: Any, wanted: int) -> bool:
    """Whether the server would read ``value`` (from a URL) as the id ``wanted``."""
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(int).validate_python(str(value)) == wanted
    except ValidationError:
        return False


def keep_our_identity(case: Any, seeded: dict[str, Any]) -> None:
    """The fuzzer may do anything but revoke the key it authenticates with or demote its
    owner; those cases are sent against another id instead."""
    path, params = case.operation.path, case.path_parameters or {}
    if path == "/api/api-keys/{key_id}" and _is_id(params.get("key_id"), seeded["key_id"]):
        params["key_id"] = seeded["key_id"] + 1000
    if (
        path == "/api/users/{user_id}"
        and case.method.upper() in ("PATCH", "PUT")
        and _is_id(params.get("user_id"), seeded["owner_id"])
        and isinstance(case.body, dict)
    ):
        case.body.pop("role", None)
        case.body.pop("is_active", None)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_no_server_errors(case: Any, seeded: dict[str, Any], fuzz_app: Any) -> None:
    keep_our_identity(case, seeded)
    known = KNOWN_5XX.get((case.method.upper(), case.operation.path))
    try:
        response = case.call(
            app=fuzz_app,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {seeded['key']}"},
        )
    except Exception:
        # In-process, an exception behind a 500 reaches the caller.
        if known:
            pytest.xfail(f"known bug: {known}")
        raise
    if response.status_code >= 500 and known:
        pytest.xfail(f"known bug: {known}")
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}\n"
        f"{case.as_curl_command()}\n{response.text[:2000]}"
    )


def test_fuzzing_left_the_key_and_owner_intact(seeded: dict[str, Any], fuzz_app: Any) -> None:
    """Runs after the fuzzing: the API key it used still authenticates as an owner (so 401s
    and 403s above were the fuzzer's own doing, e.g. a deliberately missing header)."""
    from schemathesis.python import asgi

    with asgi.get_client(fuzz_app) as client:
        resp = client.get("/api/users/me", headers={"Authorization": f"Bearer {seeded['key']}"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["role"] == "owner" and resp.json()["is_active"] is True

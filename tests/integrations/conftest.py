"""Fixtures for the integrations' tests: outbound requests may reach 127.0.0.1 (the fakes),
and a way to run one integration node through the engine with given credentials."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.integrations.fakes import FakeServer, serving
from tests.integrations.github.fake_server import FakeGitHub
from tests.integrations.jira.fake_server import FakeJira
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.sdk.integration import close_pools
from wirework.sdk.integration.tokens import forget_tokens
from wirework.sdk.outbound import IntegrationCredentials, OutboundPolicy, set_policy


@pytest.fixture
async def loopback() -> AsyncIterator[None]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    try:
        yield
    finally:
        set_policy(None)
        forget_tokens()
        await close_pools()


@pytest.fixture
def jira_server(loopback: None) -> Iterator[FakeJira]:
    with serving(FakeJira()) as fake:
        assert isinstance(fake, FakeJira)
        yield fake


@pytest.fixture
def github_server(loopback: None) -> Iterator[FakeGitHub]:
    with serving(FakeGitHub()) as fake:
        assert isinstance(fake, FakeGitHub)
        yield fake


def credentials(
    values: dict[str, Any], secret_fields: set[str], *, integration_id: int = 1, name: str = "test"
) -> IntegrationCredentials:
    return IntegrationCredentials(
        values, integration_id=integration_id, name=name, secret_fields=secret_fields
    )


async def run_node(
    node_type: str,
    params: dict[str, Any],
    values: IntegrationCredentials,
    items: list[dict[str, Any]] | None = None,
    **node: Any,
) -> ExecutionRun:
    """One integration node after a manual trigger, run by the engine (memory store)."""

    async def lookup(integration_id: int) -> dict[str, Any]:
        assert integration_id == values.integration_id
        return values

    doc = {
        "name": "t",
        "nodes": [
            {"id": "in", "type": "core.manual"},
            {
                "id": "n",
                "type": node_type,
                "integration_id": values.integration_id,
                "params": params,
                **node,
            },
        ],
        "connections": [{"from": "in", "to": "n"}],
    }
    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    return started.run


def output(run: ExecutionRun) -> list[dict[str, Any]]:
    assert run.record.status == "success", run.record.error
    return run.outputs["n"]["main"]


def failure(run: ExecutionRun) -> str:
    assert run.record.status == "error", run.outputs
    assert run.record.error is not None
    return str(run.record.error["message"])


__all__ = ["FakeServer", "credentials", "failure", "output", "run_node"]


async def finished_record(client: Any, execution_id: str, timeout_s: float = 60) -> dict[str, Any]:
    """The execution's record once it has finished (webhook runs answer before they end)."""
    deadline = time.monotonic() + timeout_s
    while True:
        record: dict[str, Any] = (await client.get(f"/api/executions/{execution_id}")).json()
        if record["status"] not in ("new", "queued", "running"):
            return record
        assert time.monotonic() < deadline, f"execution {execution_id} did not finish"
        await asyncio.sleep(0.05)

"""Running workflows: execute, cancel, retry, single-node tests and live progress."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field

from wirework.api.deps import CanEdit, DbId, EngineDep, SessionDep, current_user
from wirework.api.routes.workflows import DocumentRoute
from wirework.schemas.common import RequestModel
from wirework.schemas.document import Node
from wirework.schemas.executions import ExecutionOut
from wirework.services import executions as svc
from wirework.services.engine import EVENTS_LOST, EngineHost, Started

router = APIRouter(tags=["executions"], dependencies=[Depends(current_user)])


class ExecuteRequest(RequestModel):
    input: Any = Field(
        default=None,
        description="What the trigger emits: an object (one item) or a list (one item each)",
    )


def _one_empty_item() -> list[dict[str, Any]]:
    return [{}]


class NodeTestRequest(RequestModel):
    items: list[dict[str, Any]] = Field(
        default_factory=_one_empty_item, max_length=10_000, description="Sample input items"
    )
    node: Node | None = Field(
        default=None,
        description="Run this definition of the node instead of the saved one (an edit not "
        "saved yet, or a node the workflow does not have yet); validated like a document's "
        "node, its id must be the URL's node_id",
    )


ExecutionId = Annotated[str, Path(max_length=64)]
WaitQ = Annotated[bool, Query(description="Block until the execution ends (or waits)")]


async def _answer(engine: EngineHost, started: Started, wait: bool) -> JSONResponse:
    if wait:
        await started.wait()
    await engine.runner.store.flush(started.id)  # 503 store_unavailable if not written
    async with engine.runtime.sessionmaker() as session:
        record = await svc.get_record(session, started.id, storage=engine.runtime.storage)
    code = status.HTTP_200_OK if wait else status.HTTP_202_ACCEPTED
    return JSONResponse(record.model_dump(mode="json"), status_code=code)


@router.post(
    "/workflows/{workflow_id}/execute",
    response_model=ExecutionOut,
    dependencies=[CanEdit],
    summary="Run a workflow's newest version (202 at once, or 200 when done with ?wait=true)",
    responses={202: {"model": ExecutionOut, "description": "Started"}},
)
async def execute(
    workflow_id: DbId,
    engine: EngineDep,
    body: ExecuteRequest | None = None,
    wait: WaitQ = False,
) -> JSONResponse:
    started = await engine.execute(
        workflow_id, input_value=body.input if body else None, elsewhere=not wait
    )
    return await _answer(engine, started, wait)


async def test_node(
    workflow_id: DbId,
    node_id: Annotated[str, Path(max_length=200)],
    body: NodeTestRequest,
    engine: EngineDep,
) -> JSONResponse:
    started = await engine.test_node(workflow_id, node_id, body.items, body.node)
    return await _answer(engine, started, True)


# Errors in the body's node are named like a document's (`node.params.url`, no `body.`).
router.add_api_route(
    "/workflows/{workflow_id}/nodes/{node_id}/test",
    test_node,
    methods=["POST"],
    response_model=ExecutionOut,
    dependencies=[CanEdit],
    summary="Run one node on sample input items (an editor test run), the saved node or "
    "the one given",
    route_class_override=DocumentRoute,
)


@router.post(
    "/executions/{execution_id}/cancel",
    response_model=ExecutionOut,
    dependencies=[CanEdit],
    summary="Cancel a running, queued or waiting execution",
    responses={409: {"description": "The execution already ended"}},
)
async def cancel(execution_id: ExecutionId, engine: EngineDep, session: SessionDep) -> ExecutionOut:
    await engine.cancel(execution_id)
    return await svc.get_record(session, execution_id, storage=engine.runtime.storage)


@router.post(
    "/executions/{execution_id}/retry",
    response_model=ExecutionOut,
    dependencies=[CanEdit],
    summary="Retry a failed execution from its failed step (a new execution)",
    responses={409: {"description": "The execution did not fail"}},
)
async def retry(
    execution_id: ExecutionId,
    engine: EngineDep,
    wait: WaitQ = False,
    latest_version: Annotated[
        bool, Query(description="Use the workflow's newest version instead of the failed one's")
    ] = False,
) -> JSONResponse:
    started = await engine.retry(execution_id, latest_version=latest_version)
    return await _answer(engine, started, wait)


@router.get(
    "/executions/{execution_id}/events",
    summary="Live progress as server-sent events (step.started, step.finished, …)",
    description=(
        "A `snapshot` (the execution record), then its events as they happen on any server "
        "or worker, then `end` once it finishes or waits. After a gap (a lost connection to "
        "the event bus, a reader too slow) a fresh `snapshot` follows."
    ),
    response_class=StreamingResponse,
)
async def events(
    execution_id: ExecutionId, engine: EngineDep, session: SessionDep
) -> StreamingResponse:
    await svc.get_record(session, execution_id, max_items=0)  # 404 for unknown ids

    async def current(max_items: int | None = svc.DEFAULT_MAX_ITEMS) -> ExecutionOut:
        async with engine.runtime.sessionmaker() as s:
            return await svc.get_record(
                s, execution_id, max_items=max_items, storage=engine.runtime.storage
            )

    def ended(record: ExecutionOut) -> bool:
        return record.status not in _LIVE and execution_id not in engine.runner.running

    async def stream() -> AsyncIterator[str]:
        async with engine.events.subscribe(execution_id) as queue:
            # Read once subscribed: whatever happens from here on arrives as an event.
            record = await current()
            yield _sse("snapshot", record.model_dump(mode="json"))
            while not ended(record):
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    # Quiet for a while: still going? (A lost event must not hang the stream.)
                    record = await current(max_items=0)
                    if not ended(record):
                        yield ": keep-alive\n\n"
                    continue
                if event["event"] == EVENTS_LOST:
                    record = await current()
                    yield _sse("snapshot", record.model_dump(mode="json"))
                    continue
                yield _sse(event["event"], event)
                if event["event"] in ("execution.finished", "execution.waiting"):
                    yield _sse("end", {"status": event.get("status", "waiting")})
                    return
            yield _sse("end", {"status": record.status})

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


_LIVE = frozenset({"running", "queued"})


def _sse(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"

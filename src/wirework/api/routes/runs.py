"""Running workflows: execute (and follow), cancel, retry, single-node tests and live progress
(services/live.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field
from starlette.types import Receive, Scope, Send

from wirework.api.deps import CanEdit, DbId, EngineDep, SessionDep, current_user
from wirework.api.routes.workflows import DocumentRoute
from wirework.errors import InvalidInput
from wirework.schemas.common import RequestModel
from wirework.schemas.document import Node
from wirework.schemas.executions import ExecutionOut
from wirework.services import executions as svc
from wirework.services import live
from wirework.services.engine import EngineHost, Started

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


FollowQ = Annotated[
    bool,
    Query(
        description="Answer the run's live events as `text/event-stream`: `started` "
        "(`{execution_id}`), then those of `GET /api/executions/{id}/events`, every one of "
        "them from the run's start"
    ),
]


@router.post(
    "/workflows/{workflow_id}/execute",
    response_model=ExecutionOut,
    dependencies=[CanEdit],
    summary="Run a workflow's newest version (202 at once, 200 when done with ?wait=true, "
    "or its live events with ?follow=true)",
    description=(
        "Starts an execution of the newest version with `input` as the trigger's item(s). "
        "Answers 202 with the execution record at once, or with `?wait=true` 200 with the "
        "record once it has finished or is waiting.\n\n"
        "With `?follow=true` the answer is 200 `text/event-stream`: a `started` event "
        "(`{execution_id}`) first, then exactly what `GET /api/executions/{id}/events` "
        "streams — a `snapshot` (the record), the events as they happen (`execution.started`, "
        "`step.started`, `step.delta`, `step.finished`, …), `end` (`{status}`) — except that "
        "the stream subscribed before the execution existed, so no event is missed (a "
        "streaming node's first `step.delta` neither). Whatever refuses the run (unknown "
        "workflow, invalid document, missing role, …) is a JSON error with its status, as "
        "without `follow`; closing the stream does not stop the run. `follow` and `wait` "
        "do not combine (422)."
    ),
    responses={
        200: {
            "description": "Done (`?wait=true`), or its live events (`?follow=true`)",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        202: {"model": ExecutionOut, "description": "Started"},
    },
)
async def execute(
    workflow_id: DbId,
    engine: EngineDep,
    body: ExecuteRequest | None = None,
    wait: WaitQ = False,
    follow: FollowQ = False,
) -> Response:
    input_value = body.input if body else None
    if follow:
        if wait:
            raise InvalidInput.one(
                "query.wait", "cannot be combined with follow=true (the stream ends with the run)"
            )
        followed = await live.start_followed(engine, workflow_id, input_value)
        return _EventStream(followed.events(), on_close=followed.close)
    started = await engine.execute(workflow_id, input_value=input_value, elsewhere=not wait)
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
        "the event bus, a reader too slow) a fresh `snapshot` follows. Events published "
        "before this stream subscribed are not sent again (the snapshot has what was "
        "recorded): to miss none, start the run with `POST /api/workflows/{id}/execute"
        "?follow=true`."
    ),
    response_class=StreamingResponse,
)
async def events(
    execution_id: ExecutionId, engine: EngineDep, session: SessionDep
) -> StreamingResponse:
    await svc.get_record(session, execution_id, max_items=0)  # 404 for unknown ids
    return _EventStream(live.watched(engine, execution_id))


class _EventStream(StreamingResponse):
    """Live events as `text/event-stream`; ``on_close`` runs once the response is over,
    however it ended (a client gone before the first byte too, when the stream never
    started and its own clean-up would not run)."""

    def __init__(
        self,
        events: AsyncIterator[live.LiveEvent],
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(
            _sse_stream(events),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self._on_close is not None:
                await self._on_close()


async def _sse_stream(events: AsyncIterator[live.LiveEvent]) -> AsyncIterator[str]:
    async for event in events:
        if event.kind == live.Kind.KEEP_ALIVE:
            yield ": keep-alive\n\n"
        else:
            yield _sse(event.kind, event.data)


def _sse(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"

"""A webhook's response across processes (distributed mode).

In embedded mode the webhook's request and the execution share a process: ``core.respond``
sets the run's ``response`` future and the caller answers at once. In distributed mode the
step runs on a worker while the HTTP request waits on a server replica. The server
subscribes to the execution's events (:class:`ResponseWatch`, the event bus) *before* it
hands the execution over; the worker's ``core.respond`` publishes an
``execution.response`` event: the response itself when it is small, else a marker after
the response was written to the store (:meth:`Store.save_response`, shared storage), so no
event outgrows the bus's payload limit. The rest of the execution runs on after it.

Events are best effort: if the event is lost, the server answers when the execution ends,
with the stored response if there is one (a large one), else the run's default response.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any, Protocol

from wirework.sdk.node import Response

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun
    from wirework.engine.store import Store

log = logging.getLogger(__name__)

#: The event a worker publishes when ``core.respond`` runs.
RESPONSE_EVENT = "execution.response"
#: Responses whose JSON is larger travel through the store (PostgreSQL NOTIFY carries at
#: most 8,000 bytes; the event has its own fields too).
INLINE_BYTES = 4000
#: Executions started by a webhook (a caller may be waiting for their response).
WEBHOOK_MODES = frozenset({"webhook", "test"})

_pending: set[asyncio.Task[None]] = set()


class ResponseWatch(Protocol):
    """A subscription to one execution's events, opened before it is handed over."""

    async def next_event(self) -> dict[str, Any]:
        """The execution's next event (waits for it)."""
        ...

    async def close(self) -> None: ...


def to_payload(response: Response) -> dict[str, Any]:
    return {"status": response.status, "headers": response.headers, "body": response.body}


def from_payload(payload: dict[str, Any]) -> Response:
    return Response(
        status=int(payload.get("status", 200)),
        headers={str(k): str(v) for k, v in (payload.get("headers") or {}).items()},
        body=payload.get("body"),
    )


def publish(run: ExecutionRun, response: Response) -> None:
    """``core.respond`` ran where nobody awaits the response (a worker): publish it for the
    server holding the webhook's request. Nothing is built when nobody follows the
    execution (``hooks.listening``)."""
    hooks = run.hooks
    if hooks.on_event is None or run.record.mode not in WEBHOOK_MODES:
        return
    if hooks.listening is not None and not hooks.listening(run.record.id):
        return
    payload = to_payload(response)
    text = json.dumps(payload, default=str, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) <= INLINE_BYTES:
        run.event(RESPONSE_EVENT, {"response": json.loads(text)})
        return
    task = asyncio.get_running_loop().create_task(_store_then_publish(run, text))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _store_then_publish(run: ExecutionRun, text: str) -> None:
    try:
        await run.store.save_response(run.record.id, text)
    except Exception as exc:
        log.warning(
            "execution %s: the webhook response could not be stored (%s); the caller gets "
            "the execution's result when it ends",
            run.record.id,
            type(exc).__name__,
        )
        return
    run.event(RESPONSE_EVENT, {"stored": True})


async def stored(store: Store, execution_id: str) -> Response | None:
    """The response a worker stored for ``execution_id`` (a large one), or None."""
    text = await store.load_response(execution_id)
    return None if text is None else from_payload(json.loads(text))


async def published(watch: ResponseWatch, store: Store, execution_id: str) -> Response:
    """Wait for the response the execution's ``core.respond`` publishes."""
    while True:
        event = await watch.next_event()
        if event.get("event") != RESPONSE_EVENT:
            continue
        if isinstance(event.get("response"), dict):
            return from_payload(event["response"])
        if event.get("stored"):
            found = await stored(store, execution_id)
            if found is not None:
                return found

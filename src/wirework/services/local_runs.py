"""Running a workflow document in this process, without a server (``wirework run``): the
execution lives in memory; integrations, sub-workflows and error workflows come from the
configured database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wirework.engine.graph import compile_graph
from wirework.engine.store import MemoryStore
from wirework.schemas.document import WorkflowDocument, document_to_dict
from wirework.schemas.executions import ExecutionOut
from wirework.services.documents import validate_document
from wirework.services.engine import EngineHost, input_items
from wirework.services.executions import build_record
from wirework.services.references import refuse_unrunnable
from wirework.services.runtime import Runtime

#: Receives the engine's progress events: (kind, data).
OnEvent = Callable[[str, dict[str, Any]], None]


def _ignore(kind: str, data: dict[str, Any]) -> None:
    return None


async def run_in_memory(
    runtime: Runtime,
    document: WorkflowDocument,
    input_value: Any,
    on_event: OnEvent | None = None,
) -> ExecutionOut:
    """Validate and run ``document`` to its end; its execution record. Invalid documents and
    actions no installed integration runs raise InvalidInput before anything runs."""
    async with runtime.sessionmaker() as session:
        normalised = document_to_dict(await validate_document(session, document))
    store = MemoryStore()
    host = EngineHost(
        runtime,
        store=store,
        inline_wait_s=float("inf"),
        on_event=on_event or _ignore,
        worker_id="cli",
    )
    runner = host.runner
    graph = compile_graph(normalised)
    refuse_unrunnable(graph)
    await runner.start(resume=False)
    try:
        started = await runner.execute(graph, mode="cli", input_items=input_items(input_value))
        record = await started.wait()
    finally:
        await runner.stop(grace_s=0)
    steps = await store.load_steps(record.id)
    return build_record(record, steps, [s.output for s in steps])

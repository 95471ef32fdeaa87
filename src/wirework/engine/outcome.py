"""What the executor's modules share: a step's outcome, the hooks to the layers around the
engine, the limits on waits and batches, and a failed execution."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wirework.engine.states import StepStatus
from wirework.sdk.node import Item, Outputs, Wait

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun
    from wirework.engine.responses import ResponseWatch
    from wirework.sdk.ai.templates import PromptTemplate
    from wirework.sdk.ai.usage import ModelUsage

# Waits up to this long happen in-process; longer ones park the execution in the database.
INLINE_WAIT_S = 5.0
# A parked step's output holds what it waits for under this (not a valid port name).
WAIT_PORT = "$wait"
# Inputs larger than this stream through streamable nodes in batches of this many items;
# outputs larger than this are stored in batches and may be released from memory.
CHUNK_ITEMS = 1000


#: The live event of a step's progress output (NodeContext.stream_text): ``node_id``, ``text``.
#: An awaited sub-workflow's deltas are also events of each execution awaiting it (parent,
#: grandparent, …): ``node_id`` is the node there that runs it, and ``child_execution_id`` and
#: ``child_node_id`` name the execution and node that streamed (ExecutionRun.delta).
STEP_DELTA = "step.delta"
#: At most this many awaiting executions get a sub-workflow's deltas (the nearest ones).
DELTA_HOPS = 16


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ExecutionFailed(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "execution failed"))
        self.error = error


@dataclass
class Hooks:
    """What the executor needs from the layers around it (no ORM, no HTTP here)."""

    credentials: Callable[[int], Awaitable[dict[str, Any]]] | None = None
    # Stores an integration's new OAuth2 tokens (refreshed by a step) with it.
    save_tokens: Callable[[int, dict[str, Any]], Awaitable[None]] | None = None
    # Runs a sub-workflow: (the calling run, its calling node id, workflow id, items, wait).
    run_workflow: (
        Callable[[ExecutionRun, str, int, list[Item], bool], Awaitable[list[Item] | None]] | None
    ) = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    resume_url: Callable[[str], str] | None = None
    # The conversation memory of a session key (``ctx.memory``): the server's is in its
    # database. An ``sdk.ai.ConversationMemory`` (Any here: the engine stores none itself).
    memory: Callable[[str], Any] | None = None
    # Signed links approving or rejecting a waiting tool call: (execution id, node id,
    # call id) → {"approve": url, "reject": url}.
    approval_links: Callable[[str, str, str], dict[str, str]] | None = None
    # Waits up to this long sleep in-process; longer ones park the execution.
    inline_wait_s: float = INLINE_WAIT_S
    on_event: Callable[[str, dict[str, Any]], None] | None = None
    # Whether anyone follows an execution's progress; None: always. ``execution.finished``
    # is sent regardless.
    listening: Callable[[str], bool] | None = None
    # AI accounting (services/ai_host.py). What one model call costs, in billionths of a
    # currency unit (None: the model has no price); None: nothing is priced here.
    price_usage: Callable[[ModelUsage], Awaitable[int | None]] | None = None
    # Raises a NodeError when a daily spending limit covering the execution is reached:
    # (execution id, workflow id, cost of the step's calls not yet written).
    check_spending: Callable[[str, int | None, int], Awaitable[None]] | None = None
    # A prompt template of the library: (name, version or None for the latest).
    prompt_template: Callable[[str, int | None], Awaitable[PromptTemplate]] | None = None
    # Where nodes keep files across runs (NodeContext.storage_dir); None: nowhere.
    storage_dir: Path | None = None
    # Distributed mode, a server: subscribe to an execution's events before handing it to a
    # worker, to receive its webhook response (engine.responses).
    watch_response: Callable[[str], Awaitable[ResponseWatch]] | None = None


@dataclass(slots=True)
class Outcome:
    """How one node's step ended (or that it waits)."""

    status: StepStatus  # success | error | skipped | waiting | canceled
    outputs: Outputs
    wait: Wait | None = None
    # A streamed region: the outcomes of the nodes after the first, in graph order.
    region: list[tuple[str, Outcome]] | None = None
    # The output was not kept in memory (it is in the store); this many items.
    released: int = 0


def concat(inputs: dict[str, list[Item]]) -> list[Item]:
    """All input items, port after port."""
    if len(inputs) == 1:
        return next(iter(inputs.values()))
    return [item for items in inputs.values() for item in items]


def batches(items: list[Item], owned: bool) -> Iterable[list[Item]]:
    """``items`` in batches of CHUNK_ITEMS; an ``owned`` list lets go of each batch as it is
    handed out, so its items are freed once the batch has been processed."""
    for start in range(0, len(items), CHUNK_ITEMS):
        end = start + CHUNK_ITEMS
        chunk = items[start:end]
        if owned:
            items[start:end] = [None] * len(chunk)  # type: ignore[list-item]
        yield chunk
    if owned:
        items.clear()

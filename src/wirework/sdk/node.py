"""What a node's ``run`` function sees (:class:`NodeContext`) and may return or raise.

A node is declared once, as a :class:`~wirework.sdk.registry.NodeSpec` with a params model and
an async ``run(ctx)``. ``run`` reads its input items and evaluated parameters from the context
and returns its output items per port (a dict), or a :class:`Wait` to pause the execution.

Two shapes of node:
- per item (``NodeSpec.run_item``, the usual shape for actions): the engine calls
  ``run_item(ctx, item, params)`` once per input item with that item's evaluated params;
- whole list: ``run(ctx)`` sees all items (``ctx.items`` / ``ctx.inputs``) at once — or, for
  a node declared ``streaming=True``, one batch of a large input at a time.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from wirework.sdk.ai.memory import ConversationMemory
    from wirework.sdk.ai.templates import PromptTemplate
    from wirework.sdk.ai.usage import ModelUsage

Item = dict[str, Any]
Outputs = dict[str, list[Item]]


def as_items(value: Any) -> list[Item]:
    """A value as items: a list gives one item per element, anything else one item; an
    element that is not an object is wrapped as ``{"value": …}``."""
    values = value if isinstance(value, list) else [value]
    return [v if isinstance(v, dict) else {"value": v} for v in values]


class NodeError(Exception):
    """A node failed; ``message`` is shown to users as is (name the parameter at fault)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.details = dict(details or {})


class StopExecution(NodeError):
    """Fail the execution on purpose (``core.stop_error``); never retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass(slots=True)
class Wait:
    """Pause this node until a time, or until its resume URL is called (``resume="webhook"``).

    When it resumes the node emits ``items`` (by default its input items) on ``main``; a
    webhook resume adds the call's payload to each item under ``resume``.

    With ``state`` the node is *run again* when it resumes instead: ``ctx.resumed`` then holds
    ``(state, payload)`` (the agent's conversation and an approval's decision). ``state`` is
    stored with the waiting step (JSON data). ``resume="approval"`` waits for the approvals
    API or a signed approval link only (not the generic resume URL).
    """

    until: dt.datetime | None = None
    resume: Literal["webhook", "approval"] | None = None
    items: list[Item] | None = None
    state: dict[str, Any] | None = None


@dataclass(slots=True)
class Response:
    """An answer to the webhook that started the execution (``core.respond``)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


class NodeContext(ABC):
    """The engine's view of one node run, given to ``run``/``run_item``."""

    execution_id: str
    execution_mode: str
    workflow_id: int | None
    workflow_name: str
    node_id: str
    node_name: str
    node_type: str
    run_index: int
    attempt: int
    inputs: dict[str, list[Item]]
    # The node's integration (``integration_id`` in the document; integration actions and
    # triggers), or None.
    integration_id: int | None = None
    # A node that waited with ``Wait(state=…)`` and is run again: (that state, the payload
    # it was resumed with). None on a first run.
    resumed: tuple[dict[str, Any], Any] | None = None

    @property
    def idempotency_key(self) -> str:
        """Stable across retries and resumes: pass it to services that accept one."""
        return f"{self.execution_id}:{self.node_id}:{self.run_index}"

    @property
    def items(self) -> list[Item]:
        """The items on the ``main`` input (all inputs concatenated for multi-input nodes)."""
        main = self.inputs.get("main")
        if main is not None:
            return main
        return [item for port in self.inputs.values() for item in port]

    @abstractmethod
    def params(self, index: int | None = 0) -> dict[str, Any]:
        """The node's parameters with expressions evaluated for item ``index`` (``json`` is
        that item), or with no current item when ``index`` is None."""

    @abstractmethod
    def evaluate(self, value: Any, index: int | None = 0) -> Any:
        """Evaluate a value that may hold expressions, for item ``index``."""

    def params_inline(self, index: int | None = 0) -> dict[str, Any] | None:
        """:meth:`params` if they take no more than the event loop's small allowance of
        work, else None (then await :meth:`aparams`). The cheap path of per-item loops:
        ``params = ctx.params_inline(i)`` then ``if params is None: params = await
        ctx.aparams(i)`` costs no coroutine per item."""
        return self.params(index)

    async def aparams(self, index: int | None = 0) -> dict[str, Any]:
        """:meth:`params` without holding up the event loop: an expression that needs
        more than about a millisecond of work runs in a worker thread, and a timeout of the
        step stops it. Nodes should use this one."""
        return self.params(index)

    async def aevaluate(self, value: Any, index: int | None = 0) -> Any:
        """:meth:`evaluate` without holding up the event loop (see :meth:`aparams`)."""
        return self.evaluate(value, index)

    async def aevaluate_with(
        self, value: Any, names: Mapping[str, Any], index: int | None = 0
    ) -> Any:
        """:meth:`aevaluate` with more names in scope (e.g. a declarative action's
        ``params``), under the same sandbox and budget."""
        raise NodeError("this host cannot evaluate templates", retryable=False)

    @abstractmethod
    async def credentials(self, integration_id: int) -> dict[str, Any]:
        """Decrypted credentials of an integration, for this step only."""

    def add_secrets(self, values: Mapping[str, Any]) -> None:  # noqa: B027 - optional
        """Treat more values as secrets of this step (e.g. an OAuth2 access token fetched
        with the credentials): they are redacted from its errors and outputs like the
        credentials themselves. ``values`` maps names to values; every value counts."""

    async def save_tokens(self, integration_id: int, tokens: dict[str, Any]) -> None:  # noqa: B027
        """Store an integration's new OAuth2 tokens with it (where the host can)."""

    async def record_usage(self, usage: ModelUsage) -> float | None:
        """Count one model call of this step (tokens, model, template): the host prices it
        and adds it to the step's record and the usage totals. Returns its cost in the price
        table's currency, or None when no price is known (the agent's cost limit then counts
        tokens)."""
        return None

    async def check_spending(self) -> None:  # noqa: B027 - optional
        """Before a model call: raise a NodeError (not retryable) if a spending limit that
        covers this execution (its workflow, project, or the whole instance) is reached."""

    @property
    def stream_wanted(self) -> bool:
        """Whether someone follows this execution live (a chat page, the editor), or one
        awaiting it as a sub-workflow: a node that can produce its output piece by piece (a
        model's tokens) should then do so and pass each piece to :meth:`stream_text`. False
        where nobody could listen."""
        return False

    def stream_text(self, text: str) -> None:  # noqa: B027 - optional
        """Progress output: a piece of text this step produced (a model's tokens as they
        come). The host publishes it as a ``step.delta`` event (``node_id``, ``text``) to
        whoever follows the execution, on any server (and those following an execution that
        awaits this one as a sub-workflow); it is not part of the step's output.
        Default: dropped."""

    def storage_dir(self) -> Path:
        """A directory of this host where nodes keep files across runs (the embedded vector
        store): ``<data_dir>/nodes`` under the server. Not shared between hosts: in
        distributed mode each worker has its own. A host without one raises a NodeError."""
        raise NodeError("this host has no storage directory for nodes", retryable=False)

    def record_substep(  # noqa: B027 - optional
        self,
        name: str,
        data: Mapping[str, Any],
        *,
        error: Mapping[str, Any] | None = None,
        started_at: dt.datetime | None = None,
    ) -> None:
        """Record a part of this step as its own step record, node id ``<node id>/<name>``
        (an agent's model and tool calls): ``data`` (inputs, outputs, usage) is its one
        output item; with ``error`` it failed. Secrets of the step are redacted."""

    def redact(self, value: Any) -> Any:
        """``value`` with the secrets this step loaded masked (before it leaves the step:
        a tool's result given to a model)."""
        return value

    def memory(self, session_key: str) -> ConversationMemory:
        """The conversation memory of ``session_key`` (stored by the host)."""
        raise NodeError("this host has no conversation memory", retryable=False)

    def approval_links(self, call_id: str) -> dict[str, str]:
        """Signed links that approve or reject a waiting tool call ``call_id`` of this step
        (``approve``/``reject``; empty when the host makes none)."""
        return {}

    async def prompt_template(self, name: str, version: int | None = None) -> PromptTemplate:
        """A prompt template from the library (its latest version when ``version`` is
        None)."""
        raise NodeError("this host has no prompt templates", retryable=False)

    @abstractmethod
    def respond(self, response: Response) -> None:
        """Answer the webhook that started this execution (first answer wins)."""

    @abstractmethod
    async def run_workflow(
        self, workflow_id: int, items: list[Item], *, wait: bool = True
    ) -> list[Item] | None:
        """Run another workflow as a sub-workflow; its result items when ``wait``."""

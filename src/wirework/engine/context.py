"""What a node sees while it runs (:class:`StepContext`, the SDK's ``NodeContext``), and the
names its expressions read: ``nodes[...]``, ``execution``, ``workflow``, ``vars``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wirework.engine import expr_budget, expressions
from wirework.engine.graph import Graph, GraphNode
from wirework.engine.states import ERROR, SUCCESS
from wirework.engine.store import ExecutionRecord, StepRecord
from wirework.sdk.node import Item, NodeContext, NodeError, Outputs, Response

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun
    from wirework.sdk.ai.templates import PromptTemplate
    from wirework.sdk.ai.usage import ModelUsage


class NodeItems(Mapping[str, Any]):
    """Display name → main output items of the nodes that ran (read lazily), for
    ``nodes['Name'].json`` / ``.items`` in expressions.

    Holds the graph and the run's outputs dict, not the run: no reference cycle, so a
    finished execution is freed by reference counting at once, not by the cyclic GC."""

    def __init__(self, graph: Graph, outputs: dict[str, Outputs]) -> None:
        self._graph = graph
        self._outputs = outputs

    def __getitem__(self, name: str) -> Any:
        node = self._graph.node_by_name(name)
        if node is None or node.id not in self._outputs:
            raise KeyError(name)
        return self._outputs[node.id].get("main", [])

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph.by_name)

    def __len__(self) -> int:
        return len(self._graph.by_name)


class ExecutionInfo(Mapping[str, Any]):
    """``execution`` in expressions; the signed resume URL is only made when asked for."""

    def __init__(self, record: ExecutionRecord, resume_url: Callable[[str], str] | None) -> None:
        self._record = record
        self._resume_url = resume_url

    def __getitem__(self, key: str) -> Any:
        if key == "id":
            return self._record.id
        if key == "mode":
            return self._record.mode
        if key == "resume_url" and self._resume_url is not None:
            return self._resume_url(self._record.id)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(("id", "mode", "resume_url") if self._resume_url else ("id", "mode"))

    def __len__(self) -> int:
        return 3 if self._resume_url else 2


class AllSecret(dict[str, Any]):
    """Values a node declared secret (:meth:`NodeContext.add_secrets`): every field is."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.secret_fields = frozenset(self)


class StepContext(NodeContext):
    def __init__(self, run: ExecutionRun, node: GraphNode, inputs: dict[str, list[Item]]) -> None:
        self._run = run
        self._node = node
        self.execution_id = run.record.id
        self.execution_mode = run.record.mode
        self.workflow_id = run.graph.workflow_id
        self.workflow_name = run.graph.name
        self.node_id = node.id
        self.node_name = node.name
        self.node_type = node.type
        self.integration_id = node.integration_id
        self.run_index = 0
        self.attempt = 1
        self.inputs = inputs
        self._items = self.items
        self._base_scope: dict[str, Any] | None = None
        self.used_credentials = False
        self.resumed = run.rerun_with.pop(node.id, None)

    def _scope(self, index: int | None) -> dict[str, Any]:
        scope = self._base_scope
        if scope is None:
            run = self._run
            scope = self._base_scope = expressions.make_scope(
                None,
                items=self._items,
                nodes=run.nodes_view,
                trigger=run.trigger_item,
                execution=run.execution_info,
                workflow=run.workflow_info,
                vars=run.hooks.variables,
                timezone=run.graph.settings.get("timezone"),
            )
        if index is None or index >= len(self._items):
            return scope
        return expressions.with_item(scope, self._items[index])

    def params(self, index: int | None = 0) -> dict[str, Any]:
        if self._node.params_constant:
            return self._node.raw_params
        try:
            value = self._node.params.evaluate(self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None
        return self._checked_params(value)

    def params_inline(self, index: int | None = 0) -> dict[str, Any] | None:
        if self._node.params_constant:
            return self._node.raw_params
        try:
            value = self._node.params.evaluate_inline(self._scope(index))
        except expr_budget.OffLoop:
            return None
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None
        return self._checked_params(value)

    async def aparams(self, index: int | None = 0) -> dict[str, Any]:
        if self._node.params_constant:
            return self._node.raw_params
        try:
            value = await self._node.params.evaluate_async(self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None
        return self._checked_params(value)

    def _checked_params(self, value: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = value
        for check in self._node.param_checks:
            try:
                result[check.name] = check.check(result[check.name])
            except ValueError as exc:
                raise NodeError(f"node {self.node_id!r}: {exc}", retryable=False) from None
        if self._node.literal_params:
            result = {**result, **self._node.literal_params}
        return result

    def evaluate(self, value: Any, index: int | None = 0) -> Any:
        try:
            return expressions.evaluate(value, self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def aevaluate(self, value: Any, index: int | None = 0) -> Any:
        try:
            return await expressions.compile_value(value).evaluate_async(self._scope(index))
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def aevaluate_with(
        self, value: Any, names: Mapping[str, Any], index: int | None = 0
    ) -> Any:
        scope = {**self._scope(index), **names}
        try:
            return await expressions.compile_value(value).evaluate_async(scope)
        except expressions.ExpressionError as exc:
            raise NodeError(exc.describe(self.node_id), retryable=False) from None

    async def credentials(self, integration_id: int) -> dict[str, Any]:
        if self._run.hooks.credentials is None:
            raise NodeError("no credential store is available here", retryable=False)
        values = await self._run.hooks.credentials(integration_id)
        self._run.add_secrets(values)
        self.used_credentials = True
        return values

    def add_secrets(self, values: Mapping[str, Any]) -> None:
        self._run.add_secrets(AllSecret(values))
        self.used_credentials = True

    async def save_tokens(self, integration_id: int, tokens: dict[str, Any]) -> None:
        if self._run.hooks.save_tokens is not None:
            await self._run.hooks.save_tokens(integration_id, tokens)

    async def record_usage(self, usage: ModelUsage) -> float | None:
        run = self._run
        price = run.hooks.price_usage
        cost = await price(usage) if price is not None else None
        run.add_usage(self._node, usage, cost)
        return None if cost is None else cost / 1e9  # billionths → the currency

    async def check_spending(self) -> None:
        run = self._run
        check = run.hooks.check_spending
        if check is not None:
            pending = run.usage.get(self._node.id)
            await check(run.record.id, run.graph.workflow_id, pending.cost_nanos if pending else 0)

    async def prompt_template(self, name: str, version: int | None = None) -> PromptTemplate:
        resolve = self._run.hooks.prompt_template
        if resolve is None:
            raise NodeError("this host has no prompt templates", retryable=False)
        return await resolve(name, version)

    @property
    def stream_wanted(self) -> bool:
        return self._run.stream_wanted()

    def stream_text(self, text: str) -> None:
        if text:
            self._run.delta(self.node_id, text)

    def storage_dir(self) -> Path:
        root = self._run.hooks.storage_dir
        if root is None:
            return super().storage_dir()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return root

    def respond(self, response: Response) -> None:
        self._run.respond(response)

    def record_substep(
        self,
        name: str,
        data: Mapping[str, Any],
        *,
        error: Mapping[str, Any] | None = None,
        started_at: dt.datetime | None = None,
    ) -> None:
        run = self._run
        now = dt.datetime.now(dt.UTC)
        step = StepRecord(
            execution_id=run.record.id,
            node_id=f"{self.node_id}/{name}"[:200],  # the column's width
            run_index=run.run_indexes.get(self.node_id, 0),
            attempt=1,
            status=ERROR if error is not None else SUCCESS,
            started_at=started_at or now,
            finished_at=now,
            error=run.redact_value(dict(error)) if error is not None else None,
            output={"main": [run.redact_value(dict(data))]},
            items_out=1,
        )
        run.store.record_step(step)

    def redact(self, value: Any) -> Any:
        return self._run.redact_value(value)

    def memory(self, session_key: str) -> Any:
        if self._run.hooks.memory is None:
            raise NodeError("conversation memory is not available here", retryable=False)
        return self._run.hooks.memory(session_key)

    def approval_links(self, call_id: str) -> dict[str, str]:
        if self._run.hooks.approval_links is None:
            return {}
        return self._run.hooks.approval_links(self._run.record.id, self.node_id, call_id)

    async def run_workflow(
        self, workflow_id: int, items: list[Item], *, wait: bool = True
    ) -> list[Item] | None:
        if self._run.hooks.run_workflow is None:
            raise NodeError("sub-workflows cannot run here", retryable=False)
        return await self._run.hooks.run_workflow(self._run, self.node_id, workflow_id, items, wait)

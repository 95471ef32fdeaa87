"""The context a tool runs in: the agent step's, seen as the tool's node — its own node type,
integration, params and input item; credentials, secrets and sub-workflows go through the
agent's step (so its secrets are redacted from everything the agent records or sends)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wirework.sdk.node import Item, NodeContext, Response

if TYPE_CHECKING:
    from wirework.sdk.ai.usage import ModelUsage


class ToolContext(NodeContext):
    def __init__(
        self,
        parent: NodeContext,
        call: str,
        node_type: str,
        integration_id: int | None,
        items: list[Item],
        params: dict[str, Any] | None = None,
    ) -> None:
        self._parent = parent
        self._params = params or {}
        self.execution_id = parent.execution_id
        self.execution_mode = parent.execution_mode
        self.workflow_id = parent.workflow_id
        self.workflow_name = parent.workflow_name
        # Unique per tool call: the idempotency key differs from call to call.
        self.node_id = f"{parent.node_id}/{call}"
        self.node_name = parent.node_name
        self.node_type = node_type
        self.run_index = parent.run_index
        self.attempt = parent.attempt
        self.integration_id = integration_id
        self.inputs = {"main": items}

    def params(self, index: int | None = 0) -> dict[str, Any]:
        return dict(self._params)

    def evaluate(self, value: Any, index: int | None = 0) -> Any:
        return self._parent.evaluate(value, index)

    async def aevaluate_with(
        self, value: Any, names: Mapping[str, Any], index: int | None = 0
    ) -> Any:
        return await self._parent.aevaluate_with(value, names, index)

    async def credentials(self, integration_id: int) -> dict[str, Any]:
        return await self._parent.credentials(integration_id)

    def add_secrets(self, values: Mapping[str, Any]) -> None:
        self._parent.add_secrets(values)

    async def save_tokens(self, integration_id: int, tokens: dict[str, Any]) -> None:
        await self._parent.save_tokens(integration_id, tokens)

    async def record_usage(self, usage: ModelUsage) -> float | None:
        return await self._parent.record_usage(usage)

    async def check_spending(self) -> None:
        await self._parent.check_spending()

    def redact(self, value: Any) -> Any:
        return self._parent.redact(value)

    def respond(self, response: Response) -> None:
        """A tool never answers the execution's webhook."""

    async def run_workflow(
        self, workflow_id: int, items: list[Item], *, wait: bool = True
    ) -> list[Item] | None:
        return await self._parent.run_workflow(workflow_id, items, wait=wait)

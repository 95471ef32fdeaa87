"""One item's tool-calling loop of ``ai.agent``: model call, tool calls, repeat; its state is
JSON data (``dump``/``restore``) so an approval wait can park it durably."""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any

from wirework.nodes.ai.common import ask, request_of, streams, usage_dict
from wirework.nodes.ai.tools import AgentTool, as_tool_output
from wirework.sdk.ai import ChatResult, Message, ModelProvider, ModelUsage, Role, ToolCall, Usage
from wirework.sdk.node import NodeContext, NodeError

if TYPE_CHECKING:
    from wirework.nodes.ai.agent import AgentParams


class LimitReached(Exception):
    def __init__(self, limit: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message
        self.details = details


class NeedsApproval(Exception):
    def __init__(self, request: dict[str, Any], notified: bool) -> None:
        super().__init__("approval needed")
        self.request = request
        self.notified = notified


class AgentLoop:
    def __init__(
        self,
        ctx: NodeContext,
        provider: ModelProvider,
        params: AgentParams,
        tools: dict[str, AgentTool],
        index: int,
        messages: list[Message],
    ) -> None:
        self.ctx = ctx
        self.provider = provider
        self.params = params
        self.tools = tools
        self.index = index
        self.messages = messages
        self.sent = 0  # messages already sent (and recorded) with a model call
        self.model_calls = 0
        self.tool_calls: list[dict[str, Any]] = []
        self.usage = Usage()
        self.cost: float | None = None
        self.elapsed_s = 0.0
        self.errors = 0  # tool errors in a row
        self.pending: list[ToolCall] = []
        self.decisions: dict[str, dict[str, Any]] = {}
        self.notified: set[str] = set()
        self.model = params.model

    # -- state -------------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return {
            "messages": [m.model_dump(mode="json", exclude_none=True) for m in self.messages],
            "sent": self.sent,
            "model_calls": self.model_calls,
            "tool_calls": self.tool_calls,
            "usage": usage_dict(self.usage),
            "cost": self.cost,
            "elapsed_s": self.elapsed_s,
            "errors": self.errors,
            "pending": [c.model_dump(mode="json") for c in self.pending],
            "notified": sorted(self.notified),
            "model": self.model,
        }

    @classmethod
    def restore(
        cls,
        ctx: NodeContext,
        provider: ModelProvider,
        params: AgentParams,
        tools: dict[str, AgentTool],
        index: int,
        state: dict[str, Any],
    ) -> AgentLoop:
        messages = [Message.model_validate(m) for m in state["messages"]]
        loop = cls(ctx, provider, params, tools, index, messages)
        loop.sent = state["sent"]
        loop.model_calls = state["model_calls"]
        loop.tool_calls = list(state["tool_calls"])
        usage = state["usage"]
        loop.usage = Usage(input_tokens=usage["input_tokens"], output_tokens=usage["output_tokens"])
        loop.cost = state["cost"]
        loop.elapsed_s = state["elapsed_s"]
        loop.errors = state["errors"]
        loop.pending = [ToolCall.model_validate(c) for c in state["pending"]]
        loop.notified = set(state.get("notified", []))
        loop.model = state.get("model", params.model)
        return loop

    async def decide(self, payload: Any) -> None:
        """The approval's decision about the first pending call (another call id, or no
        decision: it keeps waiting)."""
        decision = payload if isinstance(payload, dict) else {}
        if self.pending and decision.get("call_id") == self.pending[0].id:
            self.decisions[self.pending[0].id] = decision

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        base = self.elapsed_s
        while True:
            while self.pending:
                await self._tool(self.pending[0])
                self.pending.pop(0)
            self.elapsed_s = base + time.monotonic() - started
            self._check_limits()
            result = await self._model_call(started, base)
            message = result.message
            self.messages.append(message)
            if not message.tool_calls:
                return self.result_item(message.content or "")
            self.pending = list(message.tool_calls)

    def _check_limits(self) -> None:
        p = self.params
        if self.model_calls >= p.max_steps:
            self._stop("max_steps", f"the step limit ({p.max_steps} model calls)")
        tokens = self.usage.total_tokens
        if p.max_total_tokens is not None and tokens >= p.max_total_tokens:
            self._stop("max_total_tokens", f"the token limit ({p.max_total_tokens} tokens)")
        if p.max_cost is not None and self.cost is not None and self.cost >= p.max_cost:
            self._stop("max_cost", f"the cost limit ({p.max_cost})")
        if self.elapsed_s >= p.max_time_s:
            self._stop("max_time_s", f"the time limit ({p.max_time_s} s)")

    def _stop(self, limit: str, what: str) -> None:
        details = {
            "limit": limit,
            "model_calls": self.model_calls,
            "tool_calls": len(self.tool_calls),
            "usage": usage_dict(self.usage),
            "cost": self.cost,
        }
        message = (
            f"node {self.ctx.node_id!r}: the agent reached {what} after {self.model_calls} "
            f"model calls and {len(self.tool_calls)} tool calls, without a final answer"
        )
        raise LimitReached(limit, message, details)

    async def _model_call(self, started: float, base: float) -> ChatResult:
        p = self.params
        left = max(1.0, p.max_time_s - (base + time.monotonic() - started))
        timeout = min(p.timeout_s, left) if p.timeout_s else left
        request = request_of(p, self.messages, tools=[t.spec for t in self.tools.values()])
        request.timeout_s = timeout
        self.model_calls += 1
        name = f"model#{self.model_calls}"
        new = [m.model_dump(mode="json", exclude_none=True) for m in self.messages[self.sent :]]
        record: dict[str, Any] = {
            "model": p.model,
            "messages": new,
            "messages_total": len(self.messages),
            "tools": list(self.tools),
        }
        moment = _utc()
        try:
            await self.ctx.check_spending()
            stream = streams(self.ctx, p.stream)
            result = await ask(self.ctx, self.provider, request, stream=stream)
        except NodeError as exc:
            self.ctx.record_substep(name, record, error={"message": exc.message}, started_at=moment)
            raise
        self.sent = len(self.messages) + 1  # and the answer
        usage = ModelUsage(
            provider=self.provider.name,
            model=result.model,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
        )
        cost = await self.ctx.record_usage(usage)
        if cost is not None:
            self.cost = (self.cost or 0.0) + cost
        self.usage = self.usage + result.usage
        self.model = result.model
        record.update(
            answer=result.message.model_dump(mode="json", exclude_none=True),
            usage=usage_dict(result.usage),
            cost=cost,
            finish_reason=result.finish_reason,
        )
        self.ctx.record_substep(name, record, started_at=moment)
        return result

    def _refusal(
        self, call: ToolCall, tool: AgentTool | None, record: dict[str, Any]
    ) -> str | None:
        """Why the call does not run (unknown tool, invalid arguments, rejected); raises
        NeedsApproval while a call that needs one has no decision yet."""
        if tool is None:
            return f"unknown tool {call.name!r}; the tools are: {', '.join(self.tools)}"
        problems = tool.problems(call.arguments)
        if problems:
            return (
                "invalid arguments: " + "; ".join(problems) + ". Call the tool again with "
                "arguments that fit its schema."
            )
        if tool.config.requires_approval:
            decision = self.decisions.get(call.id)
            if decision is None:
                raise NeedsApproval(self._request(call), call.id in self.notified)
            record["approval"] = decision
            if not decision.get("approved"):
                reason = decision.get("reason") or "no reason given"
                return f"rejected by {decision.get('by') or 'a reviewer'}: {reason}"
        return None

    async def _execute(self, call: ToolCall, tool: AgentTool) -> tuple[Any, str | None]:
        """The tool's result (secrets masked), or its error."""
        try:
            part = _call_name(call, len(self.tool_calls) + 1)
            return self.ctx.redact(await tool.run(self.ctx, call.arguments, self.index, part)), None
        except NodeError as exc:
            return None, str(self.ctx.redact(exc.message))
        except Exception as exc:  # a tool's bug is its result, not the agent's crash
            return None, str(self.ctx.redact(f"{type(exc).__name__}: {exc}"))

    async def _tool(self, call: ToolCall) -> None:
        tool = self.tools.get(call.name)
        record: dict[str, Any] = {
            "tool": call.name,
            "call_id": call.id,
            "arguments": call.arguments,
        }
        moment = _utc()
        result: Any = None
        error = self._refusal(call, tool, record)
        if error is None and tool is not None:
            result, error = await self._execute(call, tool)
        n = len(self.tool_calls) + 1
        name = f"tool:{call.name}#{n}"[:150]
        if error is None:
            self.errors = 0
            record["result"] = result
            self.ctx.record_substep(name, record, started_at=moment)
            content = as_tool_output(call.name, result)
        else:
            rejected = "approval" in record
            if not rejected:
                self.errors += 1
            record["error"] = error
            self.ctx.record_substep(
                name, record, error=None if rejected else {"message": error}, started_at=moment
            )
            content = as_tool_output(call.name, {"error": error})
            if self.errors > self.params.max_tool_errors:
                raise NodeError(
                    f"node {self.ctx.node_id!r}: {self.errors} tool errors in a row; the last: "
                    f"{call.name}: {error}",
                    retryable=False,
                )
        self.tool_calls.append(
            {"name": call.name, "arguments": call.arguments, "ok": error is None}
        )
        self.messages.append(
            Message(role=Role.TOOL, content=content, tool_call_id=call.id, name=call.name)
        )

    def _request(self, call: ToolCall) -> dict[str, Any]:
        return {
            "call_id": call.id,
            "tool": call.name,
            "arguments": call.arguments,
            "links": self.ctx.approval_links(call.id),
        }

    # -- results -----------------------------------------------------------------------------

    def last_text(self) -> str:
        for message in reversed(self.messages):
            if message.role is Role.ASSISTANT and message.content:
                return message.content
        return ""

    def result_item(self, text: str) -> dict[str, Any]:
        return {
            "text": text,
            "model": self.model,
            "usage": usage_dict(self.usage),
            "cost": self.cost,
            "steps": self.model_calls,
            "tool_calls": self.tool_calls,
            "truncated": False,
            "stop_reason": "answer",
        }

    def turn(self, answer: str) -> list[Message]:
        """What memory keeps of this item: the user's message and the final answer."""
        out = [Message(role=Role.USER, content=self.params.prompt)]
        if answer:
            out.append(Message(role=Role.ASSISTANT, content=answer))
        return out


def _call_name(call: ToolCall, n: int) -> str:
    return f"tool:{call.name}#{n}"


def _utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

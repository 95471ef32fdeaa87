"""Invoking one node once: its run function (per item, or on the whole input), secrets
redacted from what it returns, and a failure described as its step's error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wirework.engine.context import StepContext
from wirework.engine.graph import GraphNode
from wirework.engine.outcome import Outcome
from wirework.engine.states import SUCCESS
from wirework.sdk.node import Item, NodeError, Outputs, StopExecution, Wait

if TYPE_CHECKING:
    from wirework.engine.executor import ExecutionRun

SUCCESS = SUCCESS


async def invoke(run: ExecutionRun, node: GraphNode, ctx: StepContext) -> Outcome:
    """Run ``node`` once on ``ctx``'s inputs (a failure raises)."""
    outcome = await _invoke_spec(run, node, ctx)
    if ctx.used_credentials and run.redactor:
        # A node holding secrets may echo them into its items (a server answering with
        # the request's headers): they are never stored or passed on.
        outcome.outputs = run.redact_value(outcome.outputs)
    return outcome


async def _invoke_spec(run: ExecutionRun, node: GraphNode, ctx: StepContext) -> Outcome:
    spec = node.spec
    if spec.run_item is not None:  # once per item (inline here: the hot path)
        out: list[Item] = []
        failed: list[Item] = []
        for index, item in enumerate(ctx.items):
            try:
                params = ctx.params_inline(index)
                if params is None:  # too much work for the event loop
                    params = await ctx.aparams(index)
                result = await spec.run_item(ctx, item, params)
            except (NodeError, Exception) as exc:
                if node.on_error != "error_output" or isinstance(exc, StopExecution):
                    raise
                message = exc.message if isinstance(exc, NodeError) else str(exc)
                failed.append({**item, "error": {"message": run.redact(message)}})
                continue
            if result is None:
                continue
            if isinstance(result, dict):
                out.append(result)
            else:
                out.extend(result)
        outputs: Outputs = {"main": out}
        if failed:
            outputs["error"] = failed
        return Outcome(SUCCESS, outputs)
    if spec.run is not None:
        result_all = await spec.run(ctx)
        if isinstance(result_all, Wait):
            return Outcome(SUCCESS, {}, wait=result_all)
        if isinstance(result_all, list):
            return Outcome(SUCCESS, {"main": result_all})
        return Outcome(SUCCESS, result_all)
    return Outcome(SUCCESS, {"main": ctx.items})


def describe(run: ExecutionRun, node: GraphNode, exc: Exception) -> tuple[dict[str, Any], bool]:
    """A node's failure as its step's error (secrets redacted), and whether to retry."""
    error: dict[str, Any]
    retryable = True
    if isinstance(exc, TimeoutError):
        error = {"message": f"node timed out after {node.timeout_s} s", "type": "timeout"}
    elif isinstance(exc, StopExecution):
        error = {"message": run.redact(exc.message), "type": "stop"}
        retryable = False
    elif isinstance(exc, NodeError):
        error = {"message": run.redact(exc.message), "type": "node_error"}
        if exc.details:
            error["details"] = run.redact_value(exc.details)
        retryable = exc.retryable
    else:
        error = {"message": run.redact(f"{type(exc).__name__}: {exc}"), "type": "exception"}
    error["node_id"] = node.id
    return error, retryable

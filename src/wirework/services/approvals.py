"""Human approval of agents' tool calls: the pending ones (agent steps waiting with
``resume: approval``), a decision by a user (API) or by a signed link (HMAC over the call
and the decision, with an expiry), which resumes the execution: the agent runs the tool, or
tells the model it was rejected, and goes on."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionStep
from wirework.engine.executor import WAIT_PORT
from wirework.errors import InvalidInput, NotFound
from wirework.schemas.approvals import PendingApproval
from wirework.services.approval_links import APPROVE, REJECT, check_link
from wirework.services.engine import EngineHost

__all__ = ["APPROVE", "REJECT", "check_link", "decide", "pending"]

MAX_PENDING = 500


def _request_of(step: ExecutionStep) -> dict[str, Any] | None:
    try:
        output = json.loads(step.output) if step.output else {}
    except ValueError:
        return None
    spec = (output.get(WAIT_PORT) or [{}])[0]
    if spec.get("resume") != "approval" or "payload" in spec:
        return None
    request = (spec.get("state") or {}).get("approval")
    return request if isinstance(request, dict) else None


async def pending(session: AsyncSession, execution_id: str | None = None) -> list[PendingApproval]:
    """Tool calls waiting for a decision, oldest first."""
    query = (
        select(ExecutionStep, Execution.workflow_id)
        .join(Execution, Execution.id == ExecutionStep.execution_id)
        .where(Execution.status == "waiting", ExecutionStep.status == "waiting")
        .order_by(ExecutionStep.id)
        .limit(MAX_PENDING)
    )
    if execution_id is not None:
        query = query.where(Execution.id == execution_id)
    out = []
    for step, workflow_id in (await session.execute(query)).all():
        request = _request_of(step)
        if request is None:
            continue
        requested = request.get("requested_at")
        out.append(
            PendingApproval(
                execution_id=step.execution_id,
                workflow_id=workflow_id,
                node_id=step.node_id,
                call_id=str(request.get("call_id")),
                tool=str(request.get("tool")),
                arguments=dict(request.get("arguments") or {}),
                requested_at=dt.datetime.fromisoformat(requested) if requested else None,
                links=dict(request.get("links") or {}),
            )
        )
    return out


async def decide(
    session: AsyncSession,
    engine: EngineHost,
    execution_id: str,
    node_id: str,
    call_id: str,
    *,
    approved: bool,
    by: str,
    reason: str | None,
) -> str:
    """Approve or reject a waiting tool call; the execution resumes. Its id."""
    waiting = [p for p in await pending(session, execution_id) if p.node_id == node_id]
    if not waiting:
        raise NotFound(f"no approval is waiting in execution {execution_id!r} node {node_id!r}")
    if waiting[0].call_id != call_id:
        raise InvalidInput.one("call_id", f"the waiting tool call is {waiting[0].call_id!r}")
    payload = {"call_id": call_id, "approved": approved, "by": by, "reason": reason}
    # End the read's transaction first: on SQLite it holds the write lock the engine needs.
    await session.commit()
    started = await engine.resume(execution_id, node_id, payload)
    await engine.runner.store.flush(started.id)
    return started.id

"""AI usage totals (``GET /api/ai/usage``) from the ``ai_usage`` rows the engine writes, and
the daily spending limits (``ai_spending_limits``): CRUD and the check a step runs before a
model call (:func:`check_limits`).

Days are UTC days. A check sums what is committed today in each limit's scope plus the
calls of the asking step not yet written; concurrent calls are not serialised, so a limit can
be overshot by the calls in flight when it is reached (see docs/ai-costs-and-templates.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Workflow
from wirework.db.models_ai import AiSpendingLimit, AiUsage
from wirework.errors import Conflict, FieldError, InvalidInput, NotFound
from wirework.schemas.ai import (
    LimitIn,
    LimitOut,
    LimitScope,
    UsageGroup,
    UsageGroupBy,
    UsageReport,
    UsageTotals,
)
from wirework.sdk.node import NodeError
from wirework.services import audit
from wirework.services.ai_prices import from_nanos, to_nanos

MAX_DAYS = 366
DEFAULT_DAYS = 30


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# --- totals --------------------------------------------------------------------------------


def _group_columns(group_by: UsageGroupBy) -> list[Any]:
    c = AiUsage
    columns: dict[UsageGroupBy, list[Any]] = {
        UsageGroupBy.DAY: [c.day],
        UsageGroupBy.WORKFLOW: [c.workflow_id],
        UsageGroupBy.PROJECT: [c.project_id],
        UsageGroupBy.MODEL: [c.provider, c.model],
        UsageGroupBy.TEMPLATE: [c.template],
    }
    return columns[group_by]


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or utc_today()
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    errors = []
    if start > end:
        errors.append(FieldError("from", "must not be after 'to'"))
    elif (end - start).days >= MAX_DAYS:
        errors.append(FieldError("from", f"the period is at most {MAX_DAYS} days"))
    if errors:
        raise InvalidInput(errors)
    return start, end


def _totals(row: Any) -> dict[str, Any]:
    cost = row.cost
    return {
        "calls": int(row.calls or 0),
        "input_tokens": int(row.input_tokens or 0),
        "output_tokens": int(row.output_tokens or 0),
        "cost": from_nanos(int(cost)) if cost is not None else None,
        "unpriced_calls": int(row.unpriced_calls or 0),
    }


_SUMS = (
    func.sum(AiUsage.calls).label("calls"),
    func.sum(AiUsage.input_tokens).label("input_tokens"),
    func.sum(AiUsage.output_tokens).label("output_tokens"),
    func.sum(AiUsage.cost_nanos).label("cost"),
    func.sum(AiUsage.unpriced_calls).label("unpriced_calls"),
)


async def usage_report(
    session: AsyncSession,
    group_by: UsageGroupBy,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    project_id: int | None = None,
    workflow_id: int | None = None,
    limit: int = 100,
) -> UsageReport:
    """Tokens and cost per group over ``start``..``end`` (UTC days, both included; default
    the last 30 days): days in order, other groups most expensive first."""
    start, end = _period(start, end)
    where: list[ColumnElement[bool]] = [AiUsage.day >= start, AiUsage.day <= end]
    if project_id is not None:
        where.append(AiUsage.project_id == project_id)
    if workflow_id is not None:
        where.append(AiUsage.workflow_id == workflow_id)
    cols = _group_columns(group_by)
    rows = (await session.execute(select(*cols, *_SUMS).where(*where).group_by(*cols))).all()
    total_row = (await session.execute(select(*_SUMS).where(*where))).one()
    names = (
        await workflow_names(session, [r.workflow_id for r in rows])
        if group_by == UsageGroupBy.WORKFLOW
        else {}
    )
    groups = [UsageGroup(**_key_label(group_by, row, names), **_totals(row)) for row in rows]
    if group_by == UsageGroupBy.DAY:
        groups.sort(key=lambda g: g.key or "")
    else:
        groups.sort(key=lambda g: (-(g.cost or 0), -(g.input_tokens + g.output_tokens)))
    return UsageReport(
        group_by=group_by,
        from_=start,
        to=end,
        groups=groups[:limit],
        total=UsageTotals(**_totals(total_row)),
    )


async def workflow_names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    """The names of the workflows ``ids`` that exist (one query; none for no ids)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    found = await session.execute(select(Workflow.id, Workflow.name).where(Workflow.id.in_(wanted)))
    return {r.id: r.name for r in found}


def _workflow_label(wid: int, names: dict[int, str]) -> str:
    return names.get(wid, f"deleted workflow #{wid}")


def _key_label(group_by: UsageGroupBy, row: Any, names: dict[int, str]) -> dict[str, Any]:
    if group_by == UsageGroupBy.DAY:
        day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
        return {"key": day.isoformat(), "label": day.isoformat()}
    if group_by == UsageGroupBy.WORKFLOW:
        wid = row.workflow_id
        if wid is None:
            return {"key": None, "label": "(no workflow)"}
        return {"key": str(wid), "label": _workflow_label(wid, names)}
    if group_by == UsageGroupBy.PROJECT:
        pid = row.project_id
        if pid is None:
            return {"key": None, "label": "(no project)"}
        return {"key": str(pid), "label": f"project #{pid}"}
    if group_by == UsageGroupBy.MODEL:
        key = f"{row.provider}/{row.model}"
        return {"key": key, "label": key}
    return {"key": row.template, "label": row.template or "(no template)"}


# --- limits --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit:
    scope: LimitScope
    scope_id: int | None
    daily_nanos: int


async def load_limits(session: AsyncSession) -> list[Limit]:
    rows = await session.scalars(select(AiSpendingLimit))
    return [
        Limit(LimitScope(r.scope), r.scope_id or None, r.daily_nanos) for r in rows
    ]  # fmt: skip


async def spent_today(
    session: AsyncSession,
    *,
    workflow_id: int | None = None,
    project_id: int | None = None,
    day: dt.date | None = None,
) -> dict[LimitScope, int]:
    """Nanos spent on ``day`` (today) by the instance, the workflow and the project: one
    query."""
    cost = func.coalesce(AiUsage.cost_nanos, 0)
    wf = func.sum(case((AiUsage.workflow_id == workflow_id, cost), else_=0))
    pr = func.sum(case((AiUsage.project_id == project_id, cost), else_=0))
    row = (
        await session.execute(
            select(func.sum(cost), wf, pr).where(AiUsage.day == (day or utc_today()))
        )
    ).one()
    return {
        LimitScope.INSTANCE: int(row[0] or 0),
        LimitScope.WORKFLOW: int(row[1] or 0) if workflow_id is not None else 0,
        LimitScope.PROJECT: int(row[2] or 0) if project_id is not None else 0,
    }


def applicable(
    limits: Sequence[Limit], workflow_id: int | None, project_id: int | None
) -> list[Limit]:
    """The limits covering an execution of ``workflow_id`` in ``project_id``."""
    return [
        lim
        for lim in limits
        if lim.scope == LimitScope.INSTANCE
        or (
            lim.scope == LimitScope.WORKFLOW
            and workflow_id is not None
            and lim.scope_id == workflow_id
        )
        or (
            lim.scope == LimitScope.PROJECT
            and project_id is not None
            and lim.scope_id == project_id
        )
    ]


def _scope_name(lim: Limit) -> str:
    if lim.scope == LimitScope.INSTANCE:
        return "the instance"
    return f"{lim.scope} {lim.scope_id}"


async def check_limits(
    session: AsyncSession,
    limits: Sequence[Limit],
    *,
    workflow_id: int | None,
    project_id: int | None,
    pending_nanos: int = 0,
) -> None:
    """Raise a NodeError (not retryable) naming the first limit reached, with the amounts."""
    covering = applicable(limits, workflow_id, project_id)
    if not covering:
        return
    spent = await spent_today(session, workflow_id=workflow_id, project_id=project_id)
    for lim in covering:
        total = spent[lim.scope] + pending_nanos
        if total >= lim.daily_nanos:
            raise NodeError(
                f"the daily AI spending limit of {_scope_name(lim)} is reached: "
                f"{from_nanos(total)} spent today (UTC) of {from_nanos(lim.daily_nanos)}",
                retryable=False,
                details={
                    "limit": {"scope": str(lim.scope), "scope_id": lim.scope_id},
                    "spent": str(from_nanos(total)),
                    "daily_limit": str(from_nanos(lim.daily_nanos)),
                },
            )


async def list_limits(session: AsyncSession) -> list[LimitOut]:
    rows = (
        await session.scalars(
            select(AiSpendingLimit).order_by(AiSpendingLimit.scope, AiSpendingLimit.scope_id)
        )
    ).all()
    if not rows:
        return []
    ids = {scope: [r.scope_id for r in rows if r.scope == scope] for scope in LimitScope}
    spent = {
        LimitScope.INSTANCE: {0: (await spent_today(session))[LimitScope.INSTANCE]},
        LimitScope.WORKFLOW: await _spent_today_of(
            session, AiUsage.workflow_id, ids[LimitScope.WORKFLOW]
        ),
        LimitScope.PROJECT: await _spent_today_of(
            session, AiUsage.project_id, ids[LimitScope.PROJECT]
        ),
    }
    names = await workflow_names(session, ids[LimitScope.WORKFLOW])
    return [_limit_out(r, spent[LimitScope(r.scope)].get(r.scope_id, 0), names) for r in rows]


async def _spent_today_of(session: AsyncSession, column: Any, ids: Sequence[int]) -> dict[int, int]:
    """Nanos spent today by each of the workflows (or projects) ``ids``: one query, none for
    no ids."""
    if not ids:
        return {}
    cost = func.coalesce(AiUsage.cost_nanos, 0)
    found = await session.execute(
        select(column, func.sum(cost))
        .where(AiUsage.day == utc_today(), column.in_(ids))
        .group_by(column)
    )
    return {int(key): int(total or 0) for key, total in found}


def _limit_label(scope: LimitScope, scope_id: int, names: dict[int, str]) -> str:
    if scope == LimitScope.INSTANCE:
        return "instance"
    if scope == LimitScope.WORKFLOW:
        return _workflow_label(scope_id, names)
    return f"project #{scope_id}"


def _limit_out(row: AiSpendingLimit, spent: int, names: dict[int, str]) -> LimitOut:
    scope = LimitScope(row.scope)
    return LimitOut(
        id=row.id,
        scope=scope,
        scope_id=row.scope_id or None,
        label=_limit_label(scope, row.scope_id, names),
        daily_limit=from_nanos(row.daily_nanos),
        spent_today=from_nanos(spent),
        updated_at=row.updated_at,
    )


async def set_limit(session: AsyncSession, data: LimitIn, actor: object) -> LimitOut:
    """Create or replace the limit of a scope."""
    if data.scope == LimitScope.INSTANCE and data.scope_id is not None:
        raise InvalidInput.one("scope_id", "the instance's limit has no scope_id")
    if data.scope != LimitScope.INSTANCE and data.scope_id is None:
        raise InvalidInput.one("scope_id", f"a {data.scope} limit needs the {data.scope}'s id")
    names: dict[int, str] = {}
    if data.scope == LimitScope.WORKFLOW and data.scope_id is not None:
        names = await workflow_names(session, [data.scope_id])
        if data.scope_id not in names:
            raise InvalidInput.one("scope_id", f"workflow {data.scope_id} not found")
    scope_id = data.scope_id or 0
    row = await session.scalar(
        select(AiSpendingLimit).where(
            AiSpendingLimit.scope == data.scope, AiSpendingLimit.scope_id == scope_id
        )
    )
    if row is None:
        row = AiSpendingLimit(scope=str(data.scope), scope_id=scope_id, daily_nanos=0)
        session.add(row)
    row.daily_nanos = to_nanos(data.daily_limit)
    try:
        await session.flush()
    except IntegrityError:  # another request created this scope's limit at the same moment
        raise Conflict(
            "this limit was set by another request at the same time; try again"
        ) from None
    target = "instance" if data.scope == LimitScope.INSTANCE else f"{data.scope} {scope_id}"
    audit.record(actor, "ai.limit.set", target, daily_limit=str(data.daily_limit))
    spent = await spent_today(
        session,
        workflow_id=data.scope_id if data.scope == LimitScope.WORKFLOW else None,
        project_id=data.scope_id if data.scope == LimitScope.PROJECT else None,
    )
    return _limit_out(row, spent[data.scope], names)


async def delete_limit(session: AsyncSession, limit_id: int, actor: object) -> None:
    row = await session.get(AiSpendingLimit, limit_id)
    if row is None:
        raise NotFound(f"spending limit {limit_id} not found")
    await session.delete(row)
    await session.flush()
    audit.record(actor, "ai.limit.delete", f"{row.scope} {row.scope_id}")

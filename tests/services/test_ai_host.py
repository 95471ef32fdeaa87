"""The engine host's AI hooks through the real engine and store, on every database backend:
a node that calls ``ctx.prompt_template``, ``ctx.check_spending`` and ``ctx.record_usage``
gets its calls priced, shown on its step, counted in ``ai_usage`` and the totals, and
stopped cleanly by a daily spending limit."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.engine.nodes import AnyParams, doc
from wirework.db.models import Workflow
from wirework.db.models_ai import AiUsage
from wirework.engine.graph import compile_graph
from wirework.engine.outcome import Hooks
from wirework.engine.runner import Runner
from wirework.engine.sql_store import SqlStore
from wirework.schemas.ai import (
    LimitIn,
    LimitScope,
    PriceIn,
    TemplateIn,
    TemplateMessageIn,
    UsageGroupBy,
)
from wirework.sdk.ai.messages import Role
from wirework.sdk.ai.usage import ModelUsage
from wirework.sdk.node import Item, NodeContext
from wirework.sdk.registry import NodeSpec, Registry
from wirework.services import ai_prices, ai_usage, prompt_templates
from wirework.services.ai_host import AiHost
from wirework.services.executions import get_record
from wirework.services.runtime import Runtime


class Owner:
    id = None
    email = "owner@example.com"


async def _chat(ctx: NodeContext) -> list[Item]:
    """Stands for an ai.* node: resolves its template, checks spending, 'calls' the model."""
    params = ctx.params(None)
    out = []
    for item in ctx.items:
        template = await ctx.prompt_template(params["template"], params.get("version"))
        for _ in range(int(params.get("calls", 1))):
            await ctx.check_spending()
            await ctx.record_usage(
                ModelUsage(
                    provider=params.get("provider", "openai"),
                    model=params["model"],
                    input_tokens=1000,
                    output_tokens=500,
                    template=template.ref,
                )
            )
        out.append({**item, "template": template.ref, "first": template.messages[0].content})
    return out


def registry() -> Registry:
    reg = Registry()
    reg._loaded = True
    reg.register_node(NodeSpec("t.trigger", "Trigger", "", "trigger", AnyParams))
    reg.register_node(NodeSpec("t.chat", "Chat", "", "ai", AnyParams, run=_chat))
    return reg


REG = registry()


@pytest.fixture
async def workflow_id(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        row = Workflow(name="support triage")
        session.add(row)
        await session.commit()
        return row.id


@pytest.fixture
async def runner(runtime: Runtime) -> AsyncIterator[Runner]:
    host = AiHost(runtime.sessionmaker, cache_s=0)  # re-read prices and limits every time
    hooks = Hooks(
        price_usage=host.price_usage,
        check_spending=host.check_spending,
        prompt_template=host.prompt_template,
    )
    r = Runner(SqlStore(runtime.engine, runtime.settings.data_dir), hooks=hooks)
    await r.start(resume=False)
    yield r
    await r.stop(grace_s=1)


@pytest.fixture
async def seeded(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as session:
        for model, i, o in (("gpt-4o", "2.50", "10"), ("gpt-4o-mini", "0.15", "0.60")):
            price = PriceIn(
                provider="openai",
                model=model,
                input_per_million=Decimal(i),
                output_per_million=Decimal(o),
            )
            await ai_prices.create_price(session, price, Owner())
        content = [TemplateMessageIn(role=Role.SYSTEM, content="Triage {{ topic }}")]
        tpl = TemplateIn(name="triage", messages=content, variables={"topic": "billing"})
        await prompt_templates.create_template(session, tpl, Owner())
        await session.commit()


def chat_graph(workflow_id: int, **params: Any) -> Any:
    nodes = [
        {"id": "start", "type": "t.trigger"},
        {"id": "chat", "type": "t.chat", "params": {"template": "triage", **params}},
    ]
    return compile_graph(
        doc(nodes, [("start", "chat")]), workflow_id=workflow_id, version=1, reg=REG
    )


async def run(runner: Runner, runtime: Runtime, graph: Any) -> dict[str, Any]:
    started = await runner.execute(graph)
    await started.wait()
    await runner.store.flush(started.id)
    async with runtime.sessionmaker() as session:
        return (await get_record(session, started.id)).model_dump(mode="json")


async def test_usage_is_priced_recorded_on_the_step_and_totalled(
    runner: Runner, runtime: Runtime, workflow_id: int, seeded: None
) -> None:
    # gpt-4o-2024-08-06 is priced as gpt-4o (the longest priced prefix), twice.
    graph = chat_graph(workflow_id, model="gpt-4o-2024-08-06", calls=2)
    rec = await run(runner, runtime, graph)
    assert rec["status"] == "success", rec
    step = next(s for s in rec["steps"] if s["node_id"] == "chat")
    assert step["output"]["main"][0]["template"] == "triage@1"
    usage = step["usage"]
    # 1000 in * 2.5/M + 500 out * 10/M = 0.0075 per call.
    assert usage["calls"] == 2 and usage["input_tokens"] == 2000 and usage["output_tokens"] == 1000
    assert Decimal(usage["cost"]) == Decimal("0.015")
    assert usage["models"] == [
        {"provider": "openai", "model": "gpt-4o-2024-08-06", "template": "triage@1",
         "calls": 2, "input_tokens": 2000, "output_tokens": 1000, "cost": "0.015",
         "unpriced_calls": 0},
    ]  # fmt: skip
    start = next(s for s in rec["steps"] if s["node_id"] == "start")
    assert start["usage"] is None

    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(AiUsage))).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.execution_id, row.workflow_id, row.template) == (
            rec["id"],
            workflow_id,
            "triage@1",
        )
        assert row.cost_nanos == 15_000_000 and row.day == dt.datetime.now(dt.UTC).date()
        by_wf = await ai_usage.usage_report(session, UsageGroupBy.WORKFLOW)
        assert [(g.key, g.label, g.cost) for g in by_wf.groups] == [
            (str(workflow_id), "support triage", Decimal("0.015"))
        ]
        by_model = await ai_usage.usage_report(session, UsageGroupBy.MODEL)
        assert by_model.groups[0].key == "openai/gpt-4o-2024-08-06"
        by_tpl = await ai_usage.usage_report(session, UsageGroupBy.TEMPLATE)
        assert by_tpl.groups[0].key == "triage@1" and by_tpl.total.calls == 2


async def test_an_unpriced_model_counts_tokens_with_no_cost(
    runner: Runner, runtime: Runtime, workflow_id: int, seeded: None
) -> None:
    rec = await run(runner, runtime, chat_graph(workflow_id, model="llama3", provider="ollama"))
    usage = next(s for s in rec["steps"] if s["node_id"] == "chat")["usage"]
    assert usage["cost"] is None and usage["unpriced_calls"] == 1
    assert usage["input_tokens"] == 1000
    async with runtime.sessionmaker() as session:
        report = await ai_usage.usage_report(session, UsageGroupBy.DAY)
        assert report.total.cost is None and report.total.input_tokens == 1000
        assert report.total.unpriced_calls == 1


async def test_a_pinned_version_and_a_missing_template(
    runner: Runner, runtime: Runtime, workflow_id: int, seeded: None
) -> None:
    async with runtime.sessionmaker() as session:
        content = [TemplateMessageIn(role=Role.SYSTEM, content="v2 {{ topic }}")]
        update = prompt_templates.TemplateUpdate(messages=content)
        await prompt_templates.save_version(session, "triage", update, Owner())
        await session.commit()
    latest = await run(runner, runtime, chat_graph(workflow_id, model="gpt-4o"))
    assert latest["steps"][-1]["output"]["main"][0]["template"] == "triage@2"
    pinned = await run(runner, runtime, chat_graph(workflow_id, model="gpt-4o", version=1))
    assert pinned["steps"][-1]["output"]["main"][0]["first"] == "Triage {{ topic }}"

    graph = chat_graph(workflow_id, model="gpt-4o", template="nope")
    failed = await run(runner, runtime, graph)
    assert failed["status"] == "error"
    assert failed["error"]["message"] == "prompt template 'nope' not found"


async def test_a_daily_limit_stops_the_run_cleanly(
    runner: Runner, runtime: Runtime, workflow_id: int, seeded: None
) -> None:
    async with runtime.sessionmaker() as session:
        limit = LimitIn(
            scope=LimitScope.WORKFLOW, scope_id=workflow_id, daily_limit=Decimal("0.02")
        )
        await ai_usage.set_limit(session, limit, Owner())
        await session.commit()
    # 0.0075 a call: the third check sees 0.015 spent (this step's calls, not yet written)
    # and lets it through; the fourth sees 0.0225 >= 0.02 and stops the step.
    rec = await run(runner, runtime, chat_graph(workflow_id, model="gpt-4o", calls=10))
    assert rec["status"] == "error"
    step = next(s for s in rec["steps"] if s["node_id"] == "chat")
    assert step["status"] == "error" and step["attempt"] == 1  # not retried
    message = rec["error"]["message"]
    assert message == (
        f"the daily AI spending limit of workflow {workflow_id} is reached: "
        "0.0225 spent today (UTC) of 0.02"
    )
    assert step["usage"]["calls"] == 3  # the calls made before it stopped are counted
    async with runtime.sessionmaker() as session:
        calls = await session.scalar(select(func.sum(AiUsage.calls)))
        assert calls == 3
        limits = await ai_usage.list_limits(session)
        assert limits[0].spent_today == Decimal("0.0225")
    # The next run stops at its first call: today's spend is over the limit.
    again = await run(runner, runtime, chat_graph(workflow_id, model="gpt-4o"))
    assert again["status"] == "error" and "0.0225 spent today" in again["error"]["message"]
    assert next(s for s in again["steps"] if s["node_id"] == "chat")["usage"] is None


async def test_the_instance_limit_covers_every_workflow(
    runner: Runner, runtime: Runtime, workflow_id: int, seeded: None
) -> None:
    async with runtime.sessionmaker() as session:
        limit = LimitIn(scope=LimitScope.INSTANCE, daily_limit=Decimal("0.001"))
        await ai_usage.set_limit(session, limit, Owner())
        await session.commit()
    first = await run(runner, runtime, chat_graph(workflow_id, model="gpt-4o", calls=2))
    assert first["status"] == "error"
    assert "limit of the instance is reached: 0.0075 spent" in first["error"]["message"]

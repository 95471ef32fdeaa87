"""Model calls a step made (``NodeContext.record_usage``): summed per (provider, model,
template) while the step runs, written with its step record (``StepRecord.usage``, the
summary the execution record shows) and as usage rows (:class:`UsageRow`, the durable
totals) in the same batch of the store's writer. A step that makes no call costs nothing
more than one falsy check when it is recorded.

Costs are whole numbers of billionths of a currency unit (``nanos``): exact, and summed
the same on every database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from wirework.sdk.ai.usage import ModelUsage

NANOS = 1_000_000_000


@dataclass(slots=True)
class UsageRow:
    """One (provider, model, template) of one step: what the ``ai_usage`` table holds."""

    execution_id: str
    node_id: str
    run_index: int
    attempt: int
    workflow_id: int | None
    project_id: int | None
    day: dt.date
    provider: str
    model: str
    template: str | None
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nanos: int | None = None
    unpriced_calls: int = 0


@dataclass(slots=True)
class _Line:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nanos: int = 0
    unpriced_calls: int = 0


@dataclass(slots=True)
class StepUsage:
    """The model calls of one step so far, per (provider, model, template)."""

    lines: dict[tuple[str, str, str | None], _Line] = field(default_factory=dict)

    def add(self, usage: ModelUsage, cost_nanos: int | None) -> None:
        key = (usage.provider, usage.model, usage.template)
        line = self.lines.get(key)
        if line is None:
            line = self.lines[key] = _Line()
        line.calls += 1
        line.input_tokens += max(usage.input_tokens, 0)
        line.output_tokens += max(usage.output_tokens, 0)
        if cost_nanos is None:
            line.unpriced_calls += 1
        else:
            line.cost_nanos += cost_nanos

    @property
    def cost_nanos(self) -> int:
        """What the priced calls cost (unpriced ones count for nothing)."""
        return sum(line.cost_nanos for line in self.lines.values())

    def summary(self) -> dict[str, Any]:
        """The step record's ``usage``: totals and one entry per model (and template). A
        cost is a decimal string; null when no call of it had a price."""
        models = []
        totals = _Line()
        for (provider, model, template), line in self.lines.items():
            priced = line.calls > line.unpriced_calls
            models.append(
                {
                    "provider": provider,
                    "model": model,
                    "template": template,
                    "calls": line.calls,
                    "input_tokens": line.input_tokens,
                    "output_tokens": line.output_tokens,
                    "cost": format_nanos(line.cost_nanos) if priced else None,
                    "unpriced_calls": line.unpriced_calls,
                }
            )
            totals.calls += line.calls
            totals.input_tokens += line.input_tokens
            totals.output_tokens += line.output_tokens
            totals.cost_nanos += line.cost_nanos
            totals.unpriced_calls += line.unpriced_calls
        return {
            "calls": totals.calls,
            "input_tokens": totals.input_tokens,
            "output_tokens": totals.output_tokens,
            "cost": format_nanos(totals.cost_nanos)
            if totals.calls > totals.unpriced_calls
            else None,
            "unpriced_calls": totals.unpriced_calls,
            "models": models,
        }

    def rows(
        self,
        key: tuple[str, str, int, int],
        workflow_id: int | None,
        project_id: int | None,
        day: dt.date,
    ) -> list[UsageRow]:
        execution_id, node_id, run_index, attempt = key
        return [
            UsageRow(
                execution_id=execution_id,
                node_id=node_id,
                run_index=run_index,
                attempt=attempt,
                workflow_id=workflow_id,
                project_id=project_id,
                day=day,
                provider=provider,
                model=model,
                template=template,
                calls=line.calls,
                input_tokens=line.input_tokens,
                output_tokens=line.output_tokens,
                cost_nanos=line.cost_nanos if line.calls > line.unpriced_calls else None,
                unpriced_calls=line.unpriced_calls,
            )
            for (provider, model, template), line in self.lines.items()
        ]


def format_nanos(nanos: int) -> str:
    """Nanos as a decimal string of currency units, trailing zeros dropped (``"0.0125"``)."""
    sign = "-" if nanos < 0 else ""
    whole, frac = divmod(abs(nanos), NANOS)
    text = f"{frac:09d}".rstrip("0")
    return f"{sign}{whole}.{text}" if text else f"{sign}{whole}"

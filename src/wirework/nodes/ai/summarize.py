"""``ai.summarize``: a summary of a text of any length. A text longer than ``chunk_chars`` is
cut into overlapping chunks (at paragraph, line or sentence ends where it can), then
summarised by map-reduce (each chunk, then the summaries together, again while they are too
long) or refine (a running summary improved chunk by chunk)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from wirework.nodes.ai.common import (
    ModelParams,
    Providers,
    complete,
    request_of,
    typed,
    usage_dict,
)
from wirework.nodes.base import check_problems
from wirework.sdk.ai import Message, ModelProvider, Role, Usage
from wirework.sdk.node import Item, NodeContext, Outputs
from wirework.sdk.registry import NodeSpec, registry

BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
MAX_ROUNDS = 8


class SummarizeParams(ModelParams):
    """Summarise a text (long ones in chunks)."""

    text: str = Field(description="The text, e.g. {{ json.body }}")
    method: Literal["map_reduce", "refine"] = Field(
        default="map_reduce",
        description="map_reduce: each chunk summarised, then the summaries together; "
        "refine: one summary improved chunk by chunk (sequential)",
    )
    chunk_chars: int = Field(
        default=12_000,
        ge=200,
        le=1_000_000,
        description="Longest chunk in characters (about 4 per token in English)",
    )
    overlap_chars: int = Field(
        default=400, ge=0, le=100_000, description="Characters each chunk repeats of the last"
    )
    instructions: str | None = Field(
        default=None,
        description="How to summarise, e.g. 'in 3 bullet points for a support lead'",
    )
    field: str = Field(
        default="summary", min_length=1, max_length=200, description="Output field of the summary"
    )

    @model_validator(mode="after")
    def _overlap(self) -> SummarizeParams:
        if self.overlap_chars >= self.chunk_chars // 2:
            check_problems([("overlap_chars", "must be less than half of chunk_chars")])
        return self


def chunks(text: str, size: int, overlap: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, each starting ``overlap``
    characters before the previous one's end, cut at the latest natural break in the second
    half of a piece."""
    text = text.strip()
    if len(text) <= size:
        return [text] if text else []
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start:end]
            for mark in BREAKS:
                cut = window.rfind(mark)
                if cut >= size // 2:
                    end = start + cut + len(mark)
                    break
        out.append(text[start:end].strip())
        if end >= len(text):
            break
        start = max(end - overlap, start + 1)
    return [c for c in out if c]


def _system(params: SummarizeParams, what: str) -> str:
    text = f"You write concise, faithful summaries. {what}"
    if params.instructions:
        text += f"\n\nThe final summary: {params.instructions}"
    return text


class Summarizer:
    def __init__(self, ctx: NodeContext, provider: ModelProvider, params: SummarizeParams) -> None:
        self.ctx, self.provider, self.params = ctx, provider, params
        self.usage = Usage()
        self.model = params.model
        self.calls = 0

    async def ask(self, system: str, user: str) -> str:
        request = request_of(
            self.params,
            [Message(role=Role.SYSTEM, content=system), Message(role=Role.USER, content=user)],
        )
        result = await complete(self.ctx, self.provider, request)
        self.usage = self.usage + result.usage
        self.model = result.model
        self.calls += 1
        return (result.message.content or "").strip()

    async def map_reduce(self, parts: list[str]) -> str:
        summaries = [
            await self.ask(
                _system(self.params, f"Summarise part {i + 1} of {len(parts)} of a longer text."),
                part,
            )
            for i, part in enumerate(parts)
        ]
        for _ in range(MAX_ROUNDS):
            joined = "\n\n".join(summaries)
            if len(summaries) == 1 and len(parts) == 1:
                return summaries[0]
            if len(joined) <= self.params.chunk_chars:
                return await self.ask(
                    _system(
                        self.params,
                        "Combine these summaries of consecutive parts of one "
                        "text into one summary.",
                    ),
                    joined,
                )
            groups = chunks(joined, self.params.chunk_chars, 0)
            summaries = [
                await self.ask(_system(self.params, "Combine these partial summaries."), g)
                for g in groups
            ]
        return "\n\n".join(summaries)

    async def refine(self, parts: list[str]) -> str:
        summary = await self.ask(
            _system(self.params, "Summarise the start of a longer text."), parts[0]
        )
        for part in parts[1:]:
            summary = await self.ask(
                _system(
                    self.params,
                    "Improve the summary so far with the next part of the text; answer with "
                    "the whole new summary only.",
                ),
                f"Summary so far:\n{summary}\n\nNext part:\n{part}",
            )
        return summary


async def run_summarize(ctx: NodeContext) -> Outputs:
    out: list[Item] = []
    async with Providers(ctx) as providers:
        for index in range(len(ctx.items)):
            params: SummarizeParams = typed(SummarizeParams, await ctx.aparams(index), ctx.node_id)
            parts = chunks(params.text, params.chunk_chars, params.overlap_chars)
            summarizer = Summarizer(ctx, await providers.get(params.integration_id), params)
            if not parts:
                summary = ""
            elif len(parts) == 1:
                summary = await summarizer.ask(_system(params, "Summarise the text."), parts[0])
            elif params.method == "refine":
                summary = await summarizer.refine(parts)
            else:
                summary = await summarizer.map_reduce(parts)
            out.append(
                {
                    params.field: summary,
                    "chunks": len(parts),
                    "model_calls": summarizer.calls,
                    "model": summarizer.model,
                    "usage": usage_dict(summarizer.usage),
                }
            )
    return {"main": out}


SUMMARIZE = registry.register_node(
    NodeSpec(
        type="ai.summarize",
        display_name="AI: Summarize",
        description="Summarise a text of any length (chunked with overlap; map-reduce or "
        "refine); emits {summary, chunks, model_calls, model, usage}",
        group="data",
        category="AI",
        icon="file-text",
        params=SummarizeParams,
        run=run_summarize,
        streaming=True,
    )
)

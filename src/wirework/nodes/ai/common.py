"""What the ``ai.*`` nodes share: the model parameters every one of them has, prompts
(inline, or a template from the library), the providers of a step, and one model call with
its spending check and usage report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic.config import JsonDict

from wirework.nodes.base import ParamProblems, ParamsModel
from wirework.sdk.ai import (
    ChatRequest,
    ChatResult,
    MemoryMode,
    Message,
    ModelProvider,
    ModelUsage,
    Role,
    Usage,
    provider_for,
)
from wirework.sdk.node import NodeContext, NodeError

MODEL_PROVIDER: JsonDict = {"x-model-provider": True}
# Editor widgets (web/src/editor/panel): a model list from the chosen provider integration,
# the prompt template library, a JSON Schema builder.
MODEL_PICKER: JsonDict = {"x-widget": "model-picker"}
TEMPLATE_PICKER: JsonDict = {"x-widget": "prompt-template"}
SCHEMA_BUILDER: JsonDict = {"x-widget": "json-schema"}

STREAM_DESCRIPTION = (
    "Stream the answer's tokens to whoever follows the execution live (a chat page, the "
    "editor) as step.delta events: true always, false never, empty when someone follows"
)


class ModelParams(ParamsModel):
    """The parameters of every model call."""

    integration_id: int = Field(
        ge=1,
        description="The model provider: an integration of a type that serves models "
        "(openai, anthropic, …)",
        json_schema_extra=MODEL_PROVIDER,
    )
    model: str = Field(
        min_length=1,
        max_length=200,
        description="Model name as the provider knows it (gpt-4o-mini, claude-sonnet-4-5, "
        "llama3.1; Azure deployment API: the deployment)",
        json_schema_extra=MODEL_PICKER,
    )
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="Sampling temperature (provider default if empty)"
    )
    max_tokens: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Longest answer, in tokens"
    )
    top_p: float | None = Field(default=None, gt=0, le=1, description="Nucleus sampling")
    stop: list[str] = Field(default_factory=list, max_length=4, description="Stop sequences")
    timeout_s: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="Seconds a model call may take, retries included (default: the integration's)",
    )


class HistoryMessage(ParamsModel):
    role: Role = Field(description="user, assistant or system")
    content: str = Field(description="The message's text")


class TemplateRef(ParamsModel):
    name: str = Field(
        min_length=1,
        max_length=200,
        description="Prompt template name",
        json_schema_extra=TEMPLATE_PICKER,
    )
    version: int | None = Field(
        default=None, ge=1, description="Template version (empty: the latest)"
    )
    variables: dict[str, Any] = Field(
        default_factory=dict,
        description="Values of the template's variables (its expressions see each by its "
        "name, as in the template library's preview); each may be an expression over the item",
    )


def typed(model: type[BaseModel], params: Mapping[str, Any], node_id: str) -> Any:
    """A node's evaluated params in its model (leniently: ``"5"`` is a number here)."""
    try:
        return model.model_validate(dict(params), strict=False)
    except ValidationError as exc:
        problems = "; ".join(_problems(exc))
        raise NodeError(f"node {node_id!r}: {problems}", retryable=False) from None


def _problems(exc: ValidationError) -> list[str]:
    """Each problem naming its field, a cross-field validator's (ParamProblems) too."""
    out: list[str] = []
    for error in exc.errors():
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ParamProblems):
            out += [f"{field}: {message}" for field, message in cause.problems]
        else:
            where = ".".join(str(p) for p in error["loc"]) or "params"
            out.append(f"{where}: {error['msg']}")
    return out


class Providers:
    """The providers a step opened (one per integration), closed when it ends."""

    def __init__(self, ctx: NodeContext) -> None:
        self.ctx = ctx
        self._open: dict[int, ModelProvider] = {}

    async def get(self, integration_id: int) -> ModelProvider:
        found = self._open.get(integration_id)
        if found is None:
            found = self._open[integration_id] = await provider_for(self.ctx, integration_id)
        return found

    async def __aenter__(self) -> Providers:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for provider in self._open.values():
            await provider.aclose()
        self._open.clear()


def stream_param() -> Any:
    """The ``stream`` param of the nodes that stream their model's answer (see
    :func:`streams`)."""
    return Field(default=None, description=STREAM_DESCRIPTION)


def streams(ctx: NodeContext, stream: bool | None) -> bool:
    """Whether a model call streams: the node's ``stream`` param says so, or, left empty,
    someone follows the execution live (``ctx.stream_wanted``)."""
    return ctx.stream_wanted if stream is None else stream


def request_of(params: ModelParams, messages: list[Message], **more: Any) -> ChatRequest:
    return ChatRequest(
        model=params.model,
        messages=messages,
        temperature=params.temperature,
        top_p=params.top_p,
        max_tokens=params.max_tokens,
        stop=params.stop,
        timeout_s=params.timeout_s,
        **more,
    )


async def complete(
    ctx: NodeContext,
    provider: ModelProvider,
    request: ChatRequest,
    template: str | None = None,
    *,
    stream: bool = False,
) -> ChatResult:
    """One model call: the spending limits checked before, its usage reported after. With
    ``stream`` the answer is streamed and each piece of text is passed on as it comes
    (:meth:`NodeContext.stream_text`); the result is the same."""
    await ctx.check_spending()
    result = await ask(ctx, provider, request, stream=stream)
    await ctx.record_usage(
        ModelUsage(
            provider=provider.name,
            model=result.model,
            input_tokens=result.usage.input_tokens,
            output_tokens=result.usage.output_tokens,
            template=template,
        )
    )
    return result


async def ask(
    ctx: NodeContext, provider: ModelProvider, request: ChatRequest, *, stream: bool
) -> ChatResult:
    """The model's answer, nothing else (no spending check, no usage: the caller's part).
    With ``stream`` each piece of its text is passed on as it comes
    (:meth:`NodeContext.stream_text`), and an answer whose stream ends without its final
    message is a retryable NodeError; the result is the same as without."""
    if not stream:
        return await provider.chat(request)
    result: ChatResult | None = None
    async for delta in provider.stream(request):
        if delta.text:
            ctx.stream_text(delta.text)
        if delta.result is not None:
            result = delta.result
    if result is None:
        raise NodeError(
            f"node {ctx.node_id!r}: {provider.name}: the streamed answer ended without its "
            "final message",
            retryable=True,
        )
    return result


async def template_messages(
    ctx: NodeContext, ref: TemplateRef, index: int
) -> tuple[list[Message], str]:
    """A library template's messages, their ``{{ }}`` evaluated for item ``index`` with the
    given variables as names in scope (as the library's preview renders it); and its
    ``name@version``."""
    template = await ctx.prompt_template(ref.name, ref.version)
    missing = sorted(set(template.variables) - set(ref.variables))
    if missing:
        raise NodeError(
            f"node {ctx.node_id!r}: prompt template {template.ref} needs the variables "
            f"{', '.join(missing)} (template.variables)",
            retryable=False,
        )
    out = []
    for message in template.messages:
        content = await ctx.aevaluate_with(message.content, ref.variables, index)
        out.append(Message(role=message.role, content=str(content)))
    return out, template.ref


def usage_dict(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
    }


class MemoryParams(ParamsModel):
    """Conversation memory: the session's earlier turns are loaded before the model is
    asked, and this turn (the user message and the final answer) is appended after."""

    session_key: str = Field(
        min_length=1,
        max_length=200,
        description="Which conversation, e.g. {{ json.session_id }} (the same key in another "
        "execution or workflow continues it)",
    )
    mode: MemoryMode = Field(
        strict=False,  # the value's text, as documents give it
        default=MemoryMode.WINDOW,
        description="window: the last `limit` messages; tokens: the newest messages whose "
        "approximate tokens fit in `limit`",
    )
    limit: int = Field(default=20, ge=1, le=1_000_000, description="Messages, or tokens")


async def load_memory(ctx: NodeContext, params: MemoryParams | None) -> list[Message]:
    if params is None:
        return []
    return await ctx.memory(params.session_key).load(params.mode, params.limit)


async def save_memory(ctx: NodeContext, params: MemoryParams | None, turn: list[Message]) -> None:
    if params is not None and turn:
        await ctx.memory(params.session_key).append(turn)

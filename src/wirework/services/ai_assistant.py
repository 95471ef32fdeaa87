"""The editor's AI assistant: which model it asks (an instance setting admins change through
``/api/ai/assistant``), and how it asks: one model call checked against the daily spending
limits, priced and counted like a step's (an ``ai_usage`` row committed at once, so a
refused answer still counts), and :meth:`Assistant.ask_json` — a JSON answer checked by the
caller, its problems sent back to the model until it is valid or the attempts
(``WIREWORK_AI_ASSISTANT_ATTEMPTS``) are spent.

Usage rows of the assistant have the synthetic execution id ``assistant``, the task as node
id (``draft_workflow``, ``explain_error``, ``write``) and no workflow: they count toward the
instance's spending limit and its totals, not a workflow's."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Integration, SystemSetting
from wirework.db.models_ai import AiUsage
from wirework.errors import BadGateway, Conflict, FieldError, InvalidInput, NotFound
from wirework.schemas.ai_assistant import AssistantConfigIn, AssistantConfigOut, ModelOut
from wirework.sdk.ai import (
    ChatRequest,
    ChatResult,
    Message,
    ModelProvider,
    Role,
    provider_of_credentials,
    provider_types,
)
from wirework.sdk.node import NodeError
from wirework.services import ai_prices, ai_usage, audit, integrations
from wirework.services.runtime import Runtime
from wirework.vault.masking import redact_known

SETTING = "ai.assistant"
USAGE_EXECUTION = "assistant"
HOW_TO_CONFIGURE = (
    "the AI assistant is not configured: an owner or admin chooses its model provider "
    "integration and model (PUT /api/ai/assistant {integration_id, model}, or Settings → "
    "AI assistant in the UI)"
)

T = TypeVar("T")


class AssistantTask(enum.StrEnum):
    DRAFT = "draft_workflow"
    EXPLAIN = "explain_error"
    WRITE = "write"


class NotConfigured(Conflict):
    code = "assistant_not_configured"


class SpendingLimitReached(Conflict):
    code = "spending_limit_reached"


# --- configuration -------------------------------------------------------------------------


async def _stored(session: AsyncSession) -> dict[str, Any] | None:
    row = await session.get(SystemSetting, SETTING)
    if row is None:
        return None
    try:
        value = json.loads(row.value)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def get_config(session: AsyncSession) -> AssistantConfigOut:
    stored = await _stored(session)
    kinds = provider_types()
    if not stored:
        return AssistantConfigOut(configured=False, provider_types=kinds)
    iid, model = stored.get("integration_id"), stored.get("model")
    found = await session.get(Integration, iid) if isinstance(iid, int) else None
    return AssistantConfigOut(
        configured=found is not None and bool(model),
        integration_id=iid if isinstance(iid, int) else None,
        integration_name=found.name if found is not None else None,
        model=model if isinstance(model, str) else None,
        provider_types=kinds,
    )


async def set_config(
    session: AsyncSession, data: AssistantConfigIn, actor: object
) -> AssistantConfigOut:
    """Choose the assistant's model; the integration must exist and serve models."""
    try:
        row = await integrations.get(session, data.integration_id)
    except NotFound:
        raise InvalidInput.one(
            "integration_id", f"integration {data.integration_id} not found"
        ) from None
    if row.type.name not in provider_types():
        raise InvalidInput.one(
            "integration_id",
            f"integration {row.name!r} ({row.type.name}) is not a model provider; use one of: "
            f"{', '.join(provider_types()) or 'none installed'}",
        )
    value = json.dumps({"integration_id": data.integration_id, "model": data.model})
    setting = await session.get(SystemSetting, SETTING)
    if setting is None:
        session.add(SystemSetting(name=SETTING, value=value))
    else:
        setting.value = value
    await session.flush()
    audit.record(actor, "ai.assistant.set", f"integration {row.id}", model=data.model)
    return AssistantConfigOut(
        configured=True,
        integration_id=row.id,
        integration_name=row.name,
        model=data.model,
        provider_types=provider_types(),
    )


async def clear_config(session: AsyncSession, actor: object) -> None:
    setting = await session.get(SystemSetting, SETTING)
    if setting is not None:
        await session.delete(setting)
        await session.flush()
        audit.record(actor, "ai.assistant.clear", "assistant")


# --- a provider outside a step ---------------------------------------------------------------


async def open_provider(
    session: AsyncSession, runtime: Runtime, integration_id: int
) -> ModelProvider:
    """The model provider of an integration, its credentials decrypted for this request."""
    row = await integrations.get(session, integration_id)
    credentials = integrations.credentials_for_use(row, runtime.vault)
    try:
        return provider_of_credentials(credentials, integration_id)
    except NodeError as exc:
        raise InvalidInput.one("integration_id", exc.message) from None


def _upstream(exc: NodeError) -> BadGateway:
    return BadGateway(redact_known(f"the model provider failed: {exc.message}"))


async def list_models(
    session: AsyncSession, runtime: Runtime, integration_id: int
) -> list[ModelOut]:
    """The models a provider integration lists (502 naming the provider's error)."""
    provider = await open_provider(session, runtime, integration_id)
    try:
        found = await provider.list_models()
    except NodeError as exc:
        raise _upstream(exc) from None
    finally:
        await provider.aclose()
    return sorted((ModelOut(id=m.id, kind=m.kind) for m in found), key=lambda m: m.id)


# --- asking ---------------------------------------------------------------------------------


def parse_json(text: str | None) -> Any:
    """The JSON of a model's answer (a fenced code block accepted); ValueError if none."""
    body = (text or "").strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, re.DOTALL)
    if fenced:
        body = fenced.group(1)
    return json.loads(body)


Check = Callable[[Any], Awaitable["tuple[T | None, list[str]]"]]


@dataclass
class Assistant:
    runtime: Runtime
    #: The request's session: each usage row is committed on it at once (a refused answer
    #: rolls back nothing counted; one writer, so SQLite never waits on itself).
    session: AsyncSession
    provider: ModelProvider
    model: str

    @classmethod
    async def open(cls, session: AsyncSession, runtime: Runtime) -> Assistant:
        """The configured assistant; 409 telling how to configure it when it is not."""
        config = await get_config(session)
        if not config.configured or config.integration_id is None or not config.model:
            raise NotConfigured(HOW_TO_CONFIGURE)
        provider = await open_provider(session, runtime, config.integration_id)
        return cls(runtime, session, provider, config.model)

    async def aclose(self) -> None:
        await self.provider.aclose()

    async def _check_spending(self) -> None:
        session = self.session
        limits = await ai_usage.load_limits(session)
        try:
            await ai_usage.check_limits(session, limits, workflow_id=None, project_id=None)
        except NodeError as exc:
            raise SpendingLimitReached(exc.message) from None

    async def _record(self, task: AssistantTask, result: ChatResult) -> None:
        session = self.session
        usage = result.usage
        table = await ai_prices.load_table(session)
        cost = ai_prices.cost_of(
            table, self.provider.name, result.model, usage.input_tokens, usage.output_tokens
        )
        session.add(
            AiUsage(
                execution_id=USAGE_EXECUTION,
                node_id=str(task),
                workflow_id=None,
                project_id=None,
                day=ai_usage.utc_today(),
                provider=self.provider.name,
                model=result.model,
                template=None,
                calls=1,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cost_nanos=cost,
                unpriced_calls=0 if cost is not None else 1,
            )
        )
        await session.commit()

    async def ask(
        self, task: AssistantTask, messages: list[Message], schema: dict[str, Any] | None
    ) -> ChatResult:
        """One model call, limits checked before and its usage counted after. The request's
        transaction is ended before the call: no lock is held while the model thinks."""
        await self._check_spending()
        await self.session.commit()
        request = ChatRequest(model=self.model, messages=messages, json_schema=schema)
        try:
            result = await self.provider.chat(request)
        except NodeError as exc:
            raise _upstream(exc) from None
        await self._record(task, result)
        return result

    async def ask_json(
        self,
        task: AssistantTask,
        messages: list[Message],
        schema: dict[str, Any],
        check: Check[T],
        *,
        refused: str,
    ) -> tuple[T, int]:
        """Ask for JSON following ``schema`` until ``check`` finds no problem; its value and
        the calls it took. After the last attempt, a 422 (``refused``) listing the problems
        of the last answer."""
        attempts = self.runtime.settings.ai_assistant_attempts
        conversation = list(messages)
        problems: list[str] = []
        for attempt in range(1, attempts + 1):
            result = await self.ask(task, conversation, schema)
            text = result.message.content or ""
            try:
                answer = parse_json(text)
            except ValueError as exc:
                value, problems = None, [f"the answer is not JSON: {exc}"]
            else:
                value, problems = await check(answer)
            if not problems and value is not None:
                return value, attempt
            conversation += [
                Message(role=Role.ASSISTANT, content=text[:20000]),
                Message(role=Role.USER, content=repair_prompt(problems)),
            ]
        error = InvalidInput(
            [FieldError("answer", redact_known(p)) for p in problems[:50]]
            or [FieldError("answer", "no usable answer")]
        )
        error.message = redact_known(
            f"{refused} after {attempts} attempt(s); the last answer's problems: "
            + "; ".join(problems[:3])
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        )
        raise error


def repair_prompt(problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems[:50])
    return (
        "Your answer has these problems:\n"
        f"{listed}\n"
        "Answer again with the whole corrected JSON, nothing else."
    )

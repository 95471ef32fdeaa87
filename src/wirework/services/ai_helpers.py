"""The assistant's small helpers: ``POST /api/ai/explain-error`` (a failed step explained from
its error, its node's type and params — secrets masked — and a sample of its input) and
``POST /api/ai/write`` (an expression or a core.code snippet written from an instruction, or
the field's current text changed as it says; checked as a save checks it: the expression
syntax checker, the sandbox's ``check_code_syntax``; an invalid one is sent back with the
problem, then refused)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Execution, ExecutionStep, WorkflowVersion
from wirework.engine.expressions import check_syntax
from wirework.errors import NotFound
from wirework.sandbox.runner import check_code_syntax
from wirework.schemas.ai_assistant import ExplainIn, ExplainOut, WriteIn, WriteKind, WriteOut
from wirework.sdk.ai import Message, Role
from wirework.services import ai_catalogue
from wirework.services.ai_assistant import Assistant, AssistantTask
from wirework.services.executions import load_output
from wirework.services.runtime import Runtime
from wirework.vault.masking import redact_known

EXPLAIN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "explanation": {"type": "string"},
        "suggestions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["explanation", "suggestions"],
}
WRITE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}
SAMPLE_CHARS = 2000


# --- explain an error -----------------------------------------------------------------------


async def _failed_step(session: AsyncSession, data: ExplainIn) -> tuple[Execution, ExecutionStep]:
    execution = await session.get(Execution, data.execution_id)
    if execution is None:
        raise NotFound(f"execution {data.execution_id!r} not found")
    step = await session.scalar(
        select(ExecutionStep)
        .where(
            ExecutionStep.execution_id == data.execution_id,
            ExecutionStep.node_id == data.node_id,
            ExecutionStep.status == "error",
        )
        .order_by(ExecutionStep.id.desc())
        .limit(1)
    )
    if step is None:
        raise NotFound(f"execution {data.execution_id!r} has no failed step {data.node_id!r}")
    return execution, step


async def _input_sample(
    session: AsyncSession, runtime: Runtime, execution_id: str, doc: dict[str, Any], node_id: str
) -> Any:
    """The first item the failed node received: from the output of a node feeding it."""
    for conn in doc.get("connections") or []:
        if conn.get("to") != node_id:
            continue
        source = await session.scalar(
            select(ExecutionStep)
            .where(
                ExecutionStep.execution_id == execution_id,
                ExecutionStep.node_id == conn.get("from"),
                ExecutionStep.status == "success",
            )
            .order_by(ExecutionStep.id.desc())
            .limit(1)
        )
        if source is None:
            continue
        output = await load_output(source, 1, runtime.storage) or {}
        items = output.get(conn.get("from_output") or "main") or []
        if items:
            return items[0]
    return None


async def explain_error(session: AsyncSession, runtime: Runtime, data: ExplainIn) -> ExplainOut:
    assistant = await Assistant.open(session, runtime)
    try:
        return await _explain(session, runtime, assistant, data)
    finally:
        await assistant.aclose()


async def _explain(
    session: AsyncSession, runtime: Runtime, assistant: Assistant, data: ExplainIn
) -> ExplainOut:
    execution, step = await _failed_step(session, data)
    version = await session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == execution.workflow_id,
            WorkflowVersion.version == execution.workflow_version,
        )
    )
    doc = version.document if version is not None else {}
    # A part of a node (an agent's model or tool call: "agent/tool#2") is explained with
    # the node it is part of.
    node_id, _, part = data.node_id.partition("/")
    node: dict[str, Any] = next((n for n in doc.get("nodes") or [] if n.get("id") == node_id), {})
    node_type = str(node.get("type", "unknown"))
    params = ai_catalogue.masked_params(node_type, node.get("params") or {})
    sample = await _input_sample(session, runtime, execution.id, doc, node_id)
    facts = (
        f"Node: {node_id} (type {node_type}"
        + (f"; the failed step is its part {part!r}" if part else "")
        + (f", integration id {node['integration_id']}" if node.get("integration_id") else "")
        + f")\nParams (secrets masked): {ai_catalogue.truncated(params, 4000)}\n"
        f"Error: {ai_catalogue.truncated(step.error or {}, 4000)}\n"
        f"Input item sample (as `json`): {ai_catalogue.truncated(sample, SAMPLE_CHARS)}"
    )
    messages = [
        Message(
            role=Role.SYSTEM,
            content="You help users of Wirework, a workflow automation tool, understand why a "
            "step failed. Answer with JSON {explanation, suggestions}: a short plain "
            "explanation of the cause, and concrete changes to try (params, expressions "
            "{{ json.field }}, the integration's settings). Credentials are never shown to "
            "you; do not ask for them.",
        ),
        Message(role=Role.USER, content=redact_known(facts)),
    ]

    out, _ = await assistant.ask_json(
        AssistantTask.EXPLAIN,
        messages,
        EXPLAIN_SCHEMA,
        _check_explanation,
        refused="no explanation",
    )
    return out


async def _check_explanation(answer: Any) -> tuple[ExplainOut | None, list[str]]:
    """An explanation the UI can show: a non-blank ``explanation`` and string suggestions (the
    blank ones dropped, at most 10)."""
    if not isinstance(answer, dict) or not isinstance(answer.get("explanation"), str):
        return None, ["the answer must be an object with a string `explanation`"]
    explanation = answer["explanation"].strip()
    suggestions = answer.get("suggestions") or []
    problems = [] if explanation else ["`explanation` is empty"]
    if not isinstance(suggestions, list) or not all(isinstance(s, str) for s in suggestions):
        problems.append("`suggestions` must be a list of strings")
    if problems:
        return None, problems
    kept = [s.strip() for s in suggestions if s.strip()][:10]
    return ExplainOut(explanation=explanation, suggestions=kept), []


# --- write an expression or code --------------------------------------------------------------

EXPRESSION_RULES = """Write one Wirework expression: Jinja inside {{ }} (a value) or {% %}
(blocks), e.g. {{ json.email | lower }}, "Hello {{ json.name }}". In scope: json (the current
item), nodes['Node name'].json (another node's output), trigger, vars, now(). Answer with JSON
{"text": "<the expression>"} only."""

CODE_RULES = """Write the Python code of a Wirework core.code step (a sandbox; no network to
internal hosts, no files). Mode once: `items` (a list of dicts) is in scope; return a list
of dicts or one dict. Mode per_item: `item` (a dict) is in scope; return a dict. Answer
with JSON {"text": "<the code>"} only."""


def _check_text(kind: WriteKind, text: str, mode: str) -> list[str]:
    if not text.strip():
        return ["`text` is empty"]
    if kind is WriteKind.EXPRESSION:
        if "{{" not in text and "{%" not in text:
            return ["an expression must contain {{ }} (or a {% %} block)"]
        return [message for _, message in check_syntax(text)]
    problem = check_code_syntax(text, mode="per_item" if mode == "per_item" else "once")
    return [problem] if problem else []


def _write_messages(data: WriteIn) -> list[Message]:
    ctx = data.context
    rules = EXPRESSION_RULES if data.kind is WriteKind.EXPRESSION else CODE_RULES
    facts = [f"Instruction: {data.instruction}"]
    if ctx.node_type:
        facts.append(f"Node type: {ctx.node_type}")
    if ctx.param_name:
        facts.append(f"Parameter: {ctx.param_name}")
    if data.kind is WriteKind.CODE:
        facts.append(f"Mode: {ctx.code_mode}")
    if ctx.sample_item is not None:
        sample = ai_catalogue.masked(ctx.sample_item)
        facts.append(f"Sample input item: {ai_catalogue.truncated(sample, SAMPLE_CHARS)}")
    if ctx.current and ctx.current.strip():
        facts.append(
            f"Current {data.kind} (change it as the instruction says; your answer replaces it "
            f"whole):\n{ctx.current}"
        )
    return [
        Message(role=Role.SYSTEM, content=rules),
        Message(role=Role.USER, content=redact_known("\n".join(facts))),
    ]


async def write(session: AsyncSession, runtime: Runtime, data: WriteIn) -> WriteOut:
    messages = _write_messages(data)
    code_mode = data.context.code_mode

    async def check(answer: Any) -> tuple[str | None, list[str]]:
        text = answer.get("text") if isinstance(answer, dict) else None
        if not isinstance(text, str):
            return None, ["the answer must be an object with a string `text`"]
        problems = _check_text(data.kind, text, code_mode)
        return (None, problems) if problems else (text, [])

    assistant = await Assistant.open(session, runtime)
    try:
        text, attempts = await assistant.ask_json(
            AssistantTask.WRITE, messages, WRITE_SCHEMA, check, refused=f"no valid {data.kind}"
        )
    finally:
        await assistant.aclose()
    return WriteOut(text=text, attempts=attempts)

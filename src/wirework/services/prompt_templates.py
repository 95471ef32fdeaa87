"""The prompt template library: named templates, a new immutable version on every save (old
ones stay readable), the preview that renders one with its sample variables through the
engine's expression sandbox, and :func:`resolve`, what ``NodeContext.prompt_template`` gets.

Templates belong to the instance, like workflows and integrations (Wirework has no projects
yet). Expressions are checked when a template is saved: one that does not compile is a 422
naming the message (``messages[1].content``). In a message's ``{{ … }}`` the declared
variables are names of their own (``{{ customer }}``) and ``json`` is the item (in the
preview: the variables' sample values)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models_ai import PromptTemplateRow, PromptTemplateVersion
from wirework.engine.expressions import ExpressionError, compile_value, make_scope
from wirework.errors import Conflict, FieldError, InvalidInput, NotFound
from wirework.schemas.ai import (
    PreviewMessage,
    TemplateContent,
    TemplateIn,
    TemplateOut,
    TemplatePreviewOut,
    TemplateSummary,
    TemplateUpdate,
    TemplateVersionInfo,
    TemplateVersionOut,
)
from wirework.sdk.ai.templates import PromptTemplate, TemplateMessage
from wirework.services import audit

VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
# Names the expression scope already has: a variable may not hide them.
RESERVED = frozenset({"json", "item", "items", "nodes", "trigger", "execution", "workflow",
                      "vars", "now", "today"})  # fmt: skip
PREVIEW_EXECUTION = {"id": "preview", "mode": "preview"}


def check_content(content: TemplateContent) -> None:
    """Every variable name usable in an expression and every message's expressions
    compiling; else a 422 naming each one at fault."""
    errors = []
    for name in content.variables:
        if not VARIABLE_NAME.match(name):
            errors.append(FieldError(f"variables.{name}", "must be a name: letters, digits, _"))
        elif name in RESERVED:
            errors.append(FieldError(f"variables.{name}", "is a name expressions already have"))
    for i, message in enumerate(content.messages):
        try:
            compile_value(message.content)
        except ExpressionError as exc:
            errors.append(FieldError(f"messages[{i}].content", exc.message))
    if errors:
        raise InvalidInput(errors)


def _summary(row: PromptTemplateRow) -> TemplateSummary:
    return TemplateSummary(
        name=row.name,
        description=row.description,
        latest_version=row.latest_version,
        updated_at=row.updated_at,
    )


def _version_out(row: PromptTemplateRow, v: PromptTemplateVersion) -> TemplateVersionOut:
    return TemplateVersionOut.model_validate(
        {
            "name": row.name,
            "description": row.description,
            "version": v.version,
            "latest_version": row.latest_version,
            "messages": v.messages,
            "variables": v.variables,
            "created_at": v.created_at,
            "created_by": v.created_by,
        }
    )


async def list_templates(session: AsyncSession) -> list[TemplateSummary]:
    rows = await session.scalars(select(PromptTemplateRow).order_by(PromptTemplateRow.name))
    return [_summary(r) for r in rows]


async def _row(session: AsyncSession, name: str) -> PromptTemplateRow:
    row = await session.scalar(select(PromptTemplateRow).where(PromptTemplateRow.name == name))
    if row is None:
        raise NotFound(f"prompt template {name!r} not found")
    return row


async def _version(
    session: AsyncSession, row: PromptTemplateRow, version: int
) -> PromptTemplateVersion:
    found = await session.get(PromptTemplateVersion, (row.id, version))
    if found is None:
        raise NotFound(f"prompt template {row.name!r} has no version {version}")
    return found


async def get_template(session: AsyncSession, name: str) -> TemplateOut:
    """The latest version, with the list of all versions."""
    row = await _row(session, name)
    latest = await _version(session, row, row.latest_version)
    versions = await session.execute(
        select(
            PromptTemplateVersion.version,
            PromptTemplateVersion.created_at,
            PromptTemplateVersion.created_by,
        )
        .where(PromptTemplateVersion.template_id == row.id)
        .order_by(PromptTemplateVersion.version.desc())
    )
    return TemplateOut(
        **_version_out(row, latest).model_dump(),
        versions=[TemplateVersionInfo.model_validate(v._mapping) for v in versions],
    )


async def get_version(session: AsyncSession, name: str, version: int) -> TemplateVersionOut:
    row = await _row(session, name)
    return _version_out(row, await _version(session, row, version))


def _content(content: TemplateContent) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    messages = [{"role": str(m.role), "content": m.content} for m in content.messages]
    return messages, dict(content.variables)


async def create_template(session: AsyncSession, data: TemplateIn, actor: Any) -> TemplateOut:
    check_content(data)
    exists = await session.scalar(select(func.count()).where(PromptTemplateRow.name == data.name))
    if exists:
        raise Conflict(f"a prompt template named {data.name!r} exists: save a new version")
    row = PromptTemplateRow(name=data.name, description=data.description, latest_version=1)
    session.add(row)
    await session.flush()
    messages, variables = _content(data)
    session.add(
        PromptTemplateVersion(
            template_id=row.id,
            version=1,
            messages=messages,
            variables=variables,
            created_by=getattr(actor, "id", None),
        )
    )
    await session.flush()
    audit.record(actor, "ai.template.create", f"{row.name}@1")
    return await get_template(session, row.name)


async def save_version(
    session: AsyncSession, name: str, data: TemplateUpdate, actor: Any
) -> TemplateOut:
    """A new version (the latest + 1); the description, if given, changes with it."""
    check_content(data)
    row = await _row(session, name)
    # Row-level lock where the backend has one, so two saves make two versions.
    await session.refresh(row, with_for_update=True)
    row.latest_version += 1
    if data.description is not None:
        row.description = data.description
    messages, variables = _content(data)
    session.add(
        PromptTemplateVersion(
            template_id=row.id,
            version=row.latest_version,
            messages=messages,
            variables=variables,
            created_by=getattr(actor, "id", None),
        )
    )
    await session.flush()
    audit.record(actor, "ai.template.save", f"{row.name}@{row.latest_version}")
    return await get_template(session, name)


async def delete_template(session: AsyncSession, name: str, actor: Any) -> None:
    row = await _row(session, name)
    await session.delete(row)
    await session.flush()
    audit.record(actor, "ai.template.delete", name)


async def render(content: TemplateContent, item: Any = None) -> TemplatePreviewOut:
    """The messages with their expressions evaluated (the variables as names; ``json`` the
    item, by default the variables). A failing expression is a 422 naming its message."""
    check_content(content)
    variables = dict(content.variables)
    sample = variables if item is None else item
    scope = make_scope(sample, execution=PREVIEW_EXECUTION)
    scope.update(variables)
    out = []
    for i, message in enumerate(content.messages):
        try:
            value = await compile_value(message.content).evaluate_async(scope)
        except ExpressionError as exc:
            raise InvalidInput.one(f"messages[{i}].content", exc.message) from None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.append(PreviewMessage(role=message.role, content=text))
    return TemplatePreviewOut(messages=out)


async def preview_version(
    session: AsyncSession, name: str, version: int, variables: dict[str, Any] | None
) -> TemplatePreviewOut:
    """A saved version rendered with its sample variables (or the ones given)."""
    saved = await get_version(session, name, version)
    content = TemplateContent(
        messages=saved.messages,
        variables=saved.variables if variables is None else variables,
    )
    return await render(content)


async def resolve(session: AsyncSession, name: str, version: int | None) -> PromptTemplate:
    """The template a node asks for (its latest version when ``version`` is None)."""
    row = await session.scalar(select(PromptTemplateRow).where(PromptTemplateRow.name == name))
    if row is None:
        raise LookupError(f"prompt template {name!r} not found")
    number = row.latest_version if version is None else version
    found = await session.get(PromptTemplateVersion, (row.id, number))
    if found is None:
        raise LookupError(f"prompt template {name!r} has no version {number}")
    return PromptTemplate(
        name=row.name,
        version=number,
        messages=[TemplateMessage.model_validate(m) for m in found.messages],
        variables=found.variables,
    )

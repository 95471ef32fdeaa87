"""Workflows: validated, versioned documents.

The ``workflows`` row holds what lists and filters need (name, active, current version); the
document itself lives in ``workflow_versions``, one immutable row per saved version. A save
that changes the document inserts the next version; one that changes nothing (or only
toggles ``active``) does not. Functions only flush: the caller's transaction commits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Workflow, WorkflowVersion
from wirework.errors import Conflict, FieldError, InvalidInput, NotFound
from wirework.schemas.common import FieldErrorOut, Page
from wirework.schemas.document import (
    Connection,
    DocumentFormat,
    Node,
    StickyNote,
    WorkflowDocument,
    WorkflowSettings,
    document_to_dict,
    dump_data,
    parse_document,
)
from wirework.schemas.workflows import (
    ValidationResult,
    WorkflowOut,
    WorkflowPatch,
    WorkflowVersionOut,
    WorkflowVersionSummary,
)
from wirework.services.documents import trigger_nodes, validate_document
from wirework.services.references import (
    current_documents,
    refuse_workflow_in_use,
    unrunnable_actions,
)
from wirework.services.webhooks import mark_workflows_changed
from wirework.services.workflow_tags import has_all_tags, sync_tags

MAX_LIMIT = 200
log = logging.getLogger(__name__)


def as_document(data: WorkflowDocument) -> WorkflowDocument:
    """Only the document's fields of a request model (WorkflowCreate carries `active` too)."""
    if type(data) is WorkflowDocument:
        return data
    return WorkflowDocument.model_construct(
        _fields_set=set(data.model_fields_set) & set(WorkflowDocument.model_fields),
        **{name: getattr(data, name) for name in WorkflowDocument.model_fields},
    )


def load_document(document: Mapping[str, Any]) -> WorkflowDocument:
    """A stored document as the model. Documents are validated when saved, but one written
    by other means (or under older rules) is still shown, part by part, as well as it can."""
    try:
        return WorkflowDocument.model_validate(document)
    except ValidationError:
        log.warning("stored workflow document does not validate; shown leniently")
    raw = document if isinstance(document, Mapping) else {}
    nodes = raw.get("nodes") if isinstance(raw.get("nodes"), list) else []
    connections = raw.get("connections") if isinstance(raw.get("connections"), list) else []
    return WorkflowDocument.model_construct(
        name=str(raw.get("name") or ""),
        description=str(raw.get("description") or ""),
        nodes=[
            _lenient(Node, n, id=str(_get(n, "id", "")), type=str(_get(n, "type", "")))
            for n in nodes or []
        ],
        connections=[
            _lenient(
                Connection,
                {**c, "from_": c.get("from", c.get("from_"))} if isinstance(c, dict) else c,
                from_=str(_get(c, "from", "")),
                to=str(_get(c, "to", "")),
            )
            for c in connections or []
        ],
        settings=_lenient(WorkflowSettings, raw.get("settings") or {}),
        pinned_data=None,
        tags=[t for t in _list(raw, "tags") if isinstance(t, str)],
        sticky_notes=[
            _lenient(StickyNote, n, id=str(_get(n, "id", ""))) for n in _list(raw, "sticky_notes")
        ],
    )


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _get(value: Any, key: str, default: Any) -> Any:
    return value.get(key, default) if isinstance(value, dict) else default


_M = TypeVar("_M", bound=BaseModel)


def _lenient(model: type[_M], value: Any, **required: Any) -> _M:
    try:
        return model.model_validate(value)
    except ValidationError:
        known = (
            {k: v for k, v in value.items() if k in model.model_fields}
            if isinstance(value, dict)
            else {}
        )
        known = {k: v for k, v in known.items() if k not in required}
        return model.model_construct(**required, **known)


def to_out(row: Workflow, document: Mapping[str, Any]) -> WorkflowOut:
    doc = load_document(document)
    return WorkflowOut(
        id=row.id,
        name=row.name,
        description=row.description,
        tags=doc.tags,
        active=row.active,
        version=row.version,
        nodes=doc.nodes,
        connections=doc.connections,
        settings=doc.settings,
        pinned_data=doc.pinned_data,
        sticky_notes=doc.sticky_notes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        warnings=[_error_out(e) for e in unrunnable_actions(doc)],
    )


async def get_row(session: AsyncSession, workflow_id: int) -> Workflow:
    row = await session.get(Workflow, workflow_id)
    if row is None:
        raise NotFound(f"workflow {workflow_id} not found")
    return row


async def _version_row(session: AsyncSession, workflow_id: int, version: int) -> WorkflowVersion:
    row = await session.scalar(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
        )
    )
    if row is None:
        raise NotFound(f"workflow {workflow_id} has no version {version}")
    return row


async def current_document(session: AsyncSession, row: Workflow) -> dict[str, Any]:
    return dict((await _version_row(session, row.id, row.version)).document)


async def get(session: AsyncSession, workflow_id: int) -> WorkflowOut:
    row = await get_row(session, workflow_id)
    return to_out(row, await current_document(session, row))


async def list_page(
    session: AsyncSession,
    *,
    name: str | None = None,
    active: bool | None = None,
    tags: list[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page[WorkflowOut]:
    """Most recently updated first. ``name`` matches a case-insensitive substring; ``tags``
    keeps the workflows that have all of them."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.one("limit", f"must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise InvalidInput.one("offset", "must be 0 or more")
    conditions = []
    if name:
        conditions.append(func.lower(Workflow.name).contains(name.lower(), autoescape=True))
    if active is not None:
        conditions.append(Workflow.active == active)
    conditions += has_all_tags(tags or [])
    total = await session.scalar(select(func.count(Workflow.id)).where(*conditions)) or 0
    rows = (
        await session.execute(
            select(Workflow, WorkflowVersion.document)
            .join(
                WorkflowVersion,
                and_(
                    WorkflowVersion.workflow_id == Workflow.id,
                    WorkflowVersion.version == Workflow.version,
                ),
            )
            .where(*conditions)
            .order_by(Workflow.updated_at.desc(), Workflow.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    return Page[WorkflowOut](
        items=[to_out(row, document) for row, document in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def _add_version(
    session: AsyncSession,
    row: Workflow,
    version: int,
    document: dict[str, Any],
    user_id: int | None,
) -> None:
    session.add(
        WorkflowVersion(workflow_id=row.id, version=version, document=document, created_by=user_id)
    )


async def create(
    session: AsyncSession,
    data: WorkflowDocument,
    *,
    active: bool = False,
    user_id: int | None = None,
) -> WorkflowOut:
    doc = await validate_document(session, as_document(data))
    document = document_to_dict(doc)
    mark_workflows_changed(session)
    row = Workflow(
        name=doc.name, description=doc.description, active=False, version=1, created_by=user_id
    )
    session.add(row)
    await session.flush()
    _add_version(session, row, 1, document, user_id)
    await sync_tags(session, row.id, doc.tags)
    if active:
        await _check_activatable(session, row, doc)
        row.active = True
    await session.flush()
    return to_out(row, document)


def _check_version(row: Workflow, expected: int | None) -> None:
    if expected is not None and expected != row.version:
        raise Conflict(
            f"version: workflow {row.id} is at version {row.version}, not {expected}; "
            "someone saved it since you loaded it: reload and apply your change again"
        )


async def _save(
    session: AsyncSession,
    row: Workflow,
    data: WorkflowDocument,
    *,
    active: bool | None,
    user_id: int | None,
) -> WorkflowOut:
    # Re-validated from plain data: a PATCH merges parts into a model without validation.
    plain = as_document(data).model_dump(by_alias=True, warnings=False)
    doc = await validate_document(session, plain, workflow_id=row.id)
    document = document_to_dict(doc)
    mark_workflows_changed(session)
    current = await current_document(session, row)
    if document != current:
        row.version += 1
        row.name = doc.name
        row.description = doc.description
        _add_version(session, row, row.version, document, user_id)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(
                f"version: workflow {row.id} was saved by someone else at the same time; "
                "reload and apply your change again"
            ) from None
        await sync_tags(session, row.id, doc.tags)
    if active is not None and active != row.active:
        if active:
            await _check_activatable(session, row, doc)
        row.active = active
    await session.flush()
    return to_out(row, document)


async def update(
    session: AsyncSession,
    workflow_id: int,
    data: WorkflowDocument,
    *,
    expected_version: int | None = None,
    active: bool | None = None,
    user_id: int | None = None,
) -> WorkflowOut:
    """Replace the document (PUT); ``expected_version`` makes it fail if saved since."""
    row = await get_row(session, workflow_id)
    _check_version(row, expected_version)
    return await _save(session, row, data, active=active, user_id=user_id)


async def patch(
    session: AsyncSession, workflow_id: int, data: WorkflowPatch, *, user_id: int | None = None
) -> WorkflowOut:
    """Change some fields of the document (PATCH); the others are kept."""
    row = await get_row(session, workflow_id)
    _check_version(row, data.version)
    current = load_document(await current_document(session, row))
    changes: dict[str, Any] = {}
    for name in ("name", "description", "tags", "nodes", "connections", "sticky_notes"):
        value = getattr(data, name)
        if value is not None:
            changes[name] = value
    if data.settings is not None:  # merged: settings not named are kept
        given = {k: getattr(data.settings, k) for k in data.settings.model_fields_set}
        changes["settings"] = current.settings.model_copy(update=given)
    if "pinned_data" in data.model_fields_set:
        changes["pinned_data"] = data.pinned_data
    merged = current.model_copy(update=changes)
    return await _save(session, row, merged, active=data.active, user_id=user_id)


async def delete(session: AsyncSession, workflow_id: int) -> list[str]:
    """Delete a workflow with its executions. Returns the executions that had outputs in the
    storage: once this transaction is committed, delete their blobs
    (:func:`wirework.services.executions.delete_stored_outputs`; not before: a rollback would
    keep rows whose outputs are gone, and on SQLite the storage's connection would wait for
    this transaction's lock)."""
    from wirework.services.executions import with_stored_outputs

    mark_workflows_changed(session)
    row = await get_row(session, workflow_id)
    await refuse_workflow_in_use(session, row.id)
    stored = await with_stored_outputs(session, workflow_id=row.id)
    await session.delete(row)
    await session.flush()
    return stored


# --------------------------------------------------------------------------- activation


def _webhook_keys(doc: WorkflowDocument) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for index, node, spec in trigger_nodes(doc):
        if spec.type != "core.webhook" and "webhook" not in spec.extra:
            continue
        path = node.params.get("path")
        method = node.params.get("method", "POST") if spec.type == "core.webhook" else "POST"
        if isinstance(path, str) and isinstance(method, str):
            out.append((index, path.strip("/"), method.upper()))
    return out


async def _check_activatable(session: AsyncSession, row: Workflow, doc: WorkflowDocument) -> None:
    unrunnable = unrunnable_actions(doc, enabled_only=True)
    if unrunnable:
        raise InvalidInput(unrunnable)
    if not trigger_nodes(doc):
        raise InvalidInput.one(
            "nodes",
            "has no enabled trigger node: add one (e.g. core.webhook or core.schedule) "
            "to activate the workflow",
        )
    mine = _webhook_keys(doc)
    if not mine:
        return
    others = await current_documents(session, active_only=True, except_id=row.id)
    taken: dict[tuple[str, str], tuple[int, str]] = {}
    for other_id, other_name, document in others:
        for _, path, method in _webhook_keys(load_document(document)):
            taken[(path, method)] = (other_id, other_name)
    for index, path, method in mine:
        if (path, method) in taken:
            other_id, other_name = taken[(path, method)]
            raise Conflict(
                f"nodes[{index}].params.path: webhook {method} /{path} is already used by "
                f"active workflow {other_id} ({other_name!r})"
            )


async def set_active(session: AsyncSession, workflow_id: int, active: bool) -> WorkflowOut:
    mark_workflows_changed(session)
    """Activate (the current document must still be valid) or deactivate; no new version."""
    row = await get_row(session, workflow_id)
    document = await current_document(session, row)
    if active:
        doc = await validate_document(session, document, workflow_id=row.id)
        await _check_activatable(session, row, doc)
    row.active = active
    await session.flush()
    return to_out(row, document)


# --------------------------------------------------------------------------- versions


async def list_versions(session: AsyncSession, workflow_id: int) -> list[WorkflowVersionSummary]:
    """Every saved version, newest first."""
    await get_row(session, workflow_id)
    rows = (
        await session.scalars(
            select(WorkflowVersion)
            .where(WorkflowVersion.workflow_id == workflow_id)
            .order_by(WorkflowVersion.version.desc())
        )
    ).all()
    return [
        WorkflowVersionSummary(
            version=r.version,
            name=str(r.document.get("name", "")),
            created_at=r.created_at,
            created_by=r.created_by,
        )
        for r in rows
    ]


async def get_version(session: AsyncSession, workflow_id: int, version: int) -> WorkflowVersionOut:
    await get_row(session, workflow_id)
    r = await _version_row(session, workflow_id, version)
    return WorkflowVersionOut(
        workflow_id=workflow_id,
        version=r.version,
        name=str(r.document.get("name", "")),
        created_at=r.created_at,
        created_by=r.created_by,
        document=dict(r.document),
    )


# --------------------------------------------------------------------------- files


async def import_text(
    session: AsyncSession,
    text: str | bytes,
    fmt: DocumentFormat | None = None,
    *,
    active: bool = False,
    user_id: int | None = None,
) -> WorkflowOut:
    """Create a workflow from a JSON or YAML document."""
    return await create(session, parse_document(text, fmt), active=active, user_id=user_id)


def _filename(name: str, workflow_id: int, fmt: DocumentFormat) -> str:
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-").lower()[:80]
    return f"{slug or f'workflow-{workflow_id}'}.{fmt}"


async def export(
    session: AsyncSession, workflow_id: int, fmt: DocumentFormat, version: int | None = None
) -> tuple[str, str]:
    """(file name, text) of the current (or a given) version's document."""
    row = await get_row(session, workflow_id)
    record = await _version_row(session, workflow_id, version or row.version)
    document = record.document
    return _filename(str(document.get("name") or row.name), row.id, fmt), dump_data(document, fmt)


async def check(
    session: AsyncSession,
    text: str | bytes,
    fmt: DocumentFormat | None = None,
    *,
    workflow_id: int | None = None,
) -> ValidationResult:
    """Validate without saving: every problem, or the normalised document."""
    if workflow_id is not None:
        await get_row(session, workflow_id)
    try:
        doc = await validate_document(session, parse_document(text, fmt), workflow_id=workflow_id)
    except InvalidInput as exc:
        return ValidationResult(valid=False, errors=[_error_out(e) for e in exc.errors])
    return ValidationResult(
        valid=True,
        document=document_to_dict(doc),
        warnings=[_error_out(e) for e in unrunnable_actions(doc)],
    )


def _error_out(error: FieldError) -> FieldErrorOut:
    return FieldErrorOut(field=error.field, message=error.message, node_id=error.node_id)

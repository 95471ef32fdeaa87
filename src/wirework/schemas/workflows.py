"""Request and response shapes of /api/workflows (the document itself: schemas/document.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from wirework.schemas.common import FieldErrorOut
from wirework.schemas.document import (
    MAX_CONNECTIONS,
    MAX_NODES,
    Connection,
    DocModel,
    JsonValue,
    Node,
    StickyNote,
    StickyNotes,
    Tags,
    WorkflowDocument,
    WorkflowSettings,
)


class WorkflowCreate(WorkflowDocument):
    """A workflow document, plus whether to activate it at once."""

    active: bool = Field(default=False, description="Activate its triggers at once")


class WorkflowUpdate(WorkflowDocument):
    """The full new document (PUT). Give `version` to fail with 409 if someone saved since.

    A workflow as GET returns it may be sent back as is: `version` then guards the edit, and
    the read-only `id`, `created_at`, `updated_at` and `warnings` are ignored (`id` must
    match the URL)."""

    active: bool | None = Field(default=None, description="Change activation; none = unchanged")
    version: int | None = Field(
        default=None, ge=1, description="The version this edit is based on (optimistic lock)"
    )
    id: int | None = Field(default=None, description="Read-only; must match the URL if given")
    created_at: Any = Field(default=None, description="Read-only; ignored")
    updated_at: Any = Field(default=None, description="Read-only; ignored")
    warnings: Any = Field(default=None, description="Read-only; ignored")


class WorkflowPatch(DocModel):
    """Some fields of the document (PATCH); the others are kept. `settings` is merged: the
    settings it does not name keep their values."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10000)
    active: bool | None = None
    settings: WorkflowSettings | None = None
    nodes: list[Node] | None = Field(default=None, max_length=MAX_NODES)
    connections: list[Connection] | None = Field(default=None, max_length=MAX_CONNECTIONS)
    pinned_data: dict[str, list[dict[str, JsonValue]]] | None = None
    tags: Tags | None = Field(default=None, description="The new tags (replace the old ones)")
    sticky_notes: StickyNotes | None = Field(
        default=None, description="The new sticky notes (replace the old ones)"
    )
    version: int | None = Field(
        default=None, ge=1, description="The version this edit is based on (optimistic lock)"
    )


class WorkflowOut(BaseModel):
    id: int
    name: str
    description: str
    tags: list[str] = Field(default_factory=list)
    active: bool
    version: int = Field(description="Number of the current saved version")
    nodes: list[Node]
    connections: list[Connection]
    settings: WorkflowSettings
    pinned_data: dict[str, list[dict[str, Any]]] | None = None
    sticky_notes: list[StickyNote] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime
    warnings: list[FieldErrorOut] = Field(
        default_factory=list,
        description="What saves but will not run, e.g. an action no installed integration "
        "runs (such a workflow cannot be activated or run by hand)",
    )


class TagCount(BaseModel):
    tag: str
    count: int = Field(description="How many workflows have the tag")


class WorkflowVersionSummary(BaseModel):
    version: int
    name: str
    created_at: dt.datetime
    created_by: int | None


class WorkflowVersionOut(WorkflowVersionSummary):
    workflow_id: int
    document: dict[str, Any] = Field(description="The document saved as this version")


class ValidationResult(BaseModel):
    valid: bool
    errors: list[FieldErrorOut] = Field(default_factory=list)
    warnings: list[FieldErrorOut] = Field(
        default_factory=list,
        description="What saves but will not run (see WorkflowOut.warnings)",
    )
    document: dict[str, Any] | None = Field(
        default=None, description="The normalised document, when valid"
    )

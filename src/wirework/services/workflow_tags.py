"""Workflow tags: the ``workflow_tags`` table mirrors the tags of each workflow's current
document, so lists filter by tag with an index. The document stays the truth (versioned,
exported); this table is rewritten whenever a save changes the tags. Functions only flush."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.models import Workflow, WorkflowTag
from wirework.errors import InvalidInput
from wirework.schemas.document import MAX_TAG_LENGTH, MAX_TAGS
from wirework.schemas.workflows import TagCount


async def sync_tags(session: AsyncSession, workflow_id: int, tags: Sequence[str]) -> None:
    """Make the table hold exactly ``tags`` for the workflow."""
    current = set(
        (
            await session.scalars(
                select(WorkflowTag.tag).where(WorkflowTag.workflow_id == workflow_id)
            )
        ).all()
    )
    wanted = set(tags)
    gone = current - wanted
    if gone:
        await session.execute(
            delete(WorkflowTag).where(
                WorkflowTag.workflow_id == workflow_id, WorkflowTag.tag.in_(gone)
            )
        )
    session.add_all(WorkflowTag(workflow_id=workflow_id, tag=t) for t in sorted(wanted - current))
    await session.flush()


def has_all_tags(tags: Sequence[str]) -> list[ColumnElement[bool]]:
    """Conditions on ``Workflow`` keeping the workflows that have every tag of ``tags``
    (compared exactly, after trimming; blank ones are ignored)."""
    wanted = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    if len(wanted) > MAX_TAGS:
        raise InvalidInput.one("tag", f"at most {MAX_TAGS} tags")
    for tag in wanted:
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInput.one("tag", f"must be at most {MAX_TAG_LENGTH} characters")
    return [
        Workflow.id.in_(select(WorkflowTag.workflow_id).where(WorkflowTag.tag == tag))
        for tag in wanted
    ]


async def tag_counts(session: AsyncSession) -> list[TagCount]:
    """Every tag in use and how many workflows have it, sorted by tag (case-insensitively,
    the same on every database whatever its collation)."""
    rows = (
        await session.execute(
            select(WorkflowTag.tag, func.count(WorkflowTag.workflow_id)).group_by(WorkflowTag.tag)
        )
    ).all()
    ordered = sorted(rows, key=lambda row: (row[0].casefold(), row[0]))
    return [TagCount(tag=tag, count=count) for tag, count in ordered]

"""Test webhooks (``/webhook-test/{path}``): an editor arms a workflow, and its test URLs then
take ONE call within :data:`TEST_LISTEN_S` seconds, which runs the version that was the draft
when armed (mode ``test``), active or not. An unarmed, expired or used test URL is a 404
like an unknown path.

Arming is a row in ``webhook_test_listeners`` (one per workflow) with an expiry; a call
claims it with one conditional UPDATE, so exactly one call wins on any number of replicas
and across restarts. Production webhooks never read this table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from wirework.db.base import new_id, utcnow
from wirework.db.engine import readonly_session
from wirework.db.models import WebhookTestListener, Workflow, WorkflowVersion
from wirework.errors import InvalidInput, NotFound
from wirework.schemas.webhook_tests import ListenerStatus, WebhookTestOut, WebhookTestUrl
from wirework.services.webhook_targets import WebhookTarget, normalise_path, targets_of

#: How long an armed test webhook waits for its call, in seconds.
TEST_LISTEN_S = 120
_CACHE_MAX = 1000


def _out(row: WebhookTestListener, document: Mapping[str, Any], base_url: str) -> WebhookTestOut:
    if row.execution_id is not None:
        status = ListenerStatus.CALLED
    elif row.expires_at <= utcnow():
        status = ListenerStatus.EXPIRED
    else:
        status = ListenerStatus.LISTENING
    urls = [
        WebhookTestUrl(node_id=t.node_id, method=t.method, url=f"{base_url}/webhook-test/{t.path}")
        for t in targets_of(row.workflow_id, row.version, document)
    ]
    return WebhookTestOut(
        workflow_id=row.workflow_id,
        version=row.version,
        status=status,
        urls=urls,
        armed_at=row.armed_at,
        expires_at=row.expires_at,
        called_at=row.called_at,
        execution_id=row.execution_id,
    )


async def _document(session: AsyncSession, workflow_id: int, version: int) -> dict[str, Any]:
    document = await session.scalar(
        select(WorkflowVersion.document).where(
            WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
        )
    )
    return dict(document or {})


async def arm(
    session: AsyncSession, workflow_id: int, *, user_id: int | None, base_url: str
) -> WebhookTestOut:
    """Arm the workflow's test URLs for one call to its newest version (replacing an earlier
    arming). 422 when the workflow has no enabled core.webhook node."""
    row = await session.get(Workflow, workflow_id)
    if row is None:
        raise NotFound(f"workflow {workflow_id} not found")
    document = await _document(session, workflow_id, row.version)
    if not targets_of(workflow_id, row.version, document):
        raise InvalidInput.one("nodes", "the workflow has no enabled core.webhook node to test")
    await session.execute(
        delete(WebhookTestListener).where(WebhookTestListener.workflow_id == workflow_id)
    )
    now = utcnow()
    listener = WebhookTestListener(
        workflow_id=workflow_id,
        version=row.version,
        armed_by=user_id,
        armed_at=now,
        expires_at=now + dt.timedelta(seconds=TEST_LISTEN_S),
    )
    session.add(listener)
    await session.flush()
    return _out(listener, document, base_url)


async def get(session: AsyncSession, workflow_id: int, *, base_url: str) -> WebhookTestOut:
    """The workflow's test webhook: listening, called (with the execution) or expired."""
    row = await session.get(WebhookTestListener, workflow_id)
    if row is None:
        raise NotFound(f"workflow {workflow_id} has no test webhook armed")
    return _out(row, await _document(session, workflow_id, row.version), base_url)


async def disarm(session: AsyncSession, workflow_id: int) -> None:
    """Stop listening (and forget the last test call); 404 when nothing was armed."""
    result = await session.execute(
        delete(WebhookTestListener).where(WebhookTestListener.workflow_id == workflow_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"workflow {workflow_id} has no test webhook armed")


class TestListeners:
    """The call side, used by ``/webhook-test/…`` (its own short transactions)."""

    __test__ = False  # not a pytest class

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        # (workflow id, version) -> its webhook targets; versions never change.
        self._targets: dict[tuple[int, int], list[WebhookTarget]] = {}

    async def find(self, method: str, path: str) -> WebhookTarget | None:
        """The webhook of a listening workflow that takes ``method`` on ``path`` (the most
        recently armed wins), or None."""
        async with readonly_session(self._sessionmaker) as session:
            armed = (
                await session.execute(
                    select(WebhookTestListener.workflow_id, WebhookTestListener.version)
                    .where(
                        WebhookTestListener.execution_id.is_(None),
                        WebhookTestListener.expires_at > utcnow(),
                    )
                    .order_by(WebhookTestListener.armed_at.desc())
                )
            ).all()
            key = (method.upper(), normalise_path(path))
            for workflow_id, version in armed:
                targets = self._targets.get((workflow_id, version))
                if targets is None:
                    document = await _document(session, workflow_id, version)
                    targets = targets_of(workflow_id, version, document)
                    if len(self._targets) >= _CACHE_MAX:
                        self._targets.clear()
                    self._targets[(workflow_id, version)] = targets
                for target in targets:
                    if (target.method, target.path) == key:
                        return target
        return None

    async def claim(self, target: WebhookTarget) -> str | None:
        """Take the listener for one call: the id the execution must get, or None when
        another call (on any replica) took it first, or it expired or was re-armed."""
        execution_id = new_id()
        now = utcnow()
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(
                update(WebhookTestListener)
                .where(
                    WebhookTestListener.workflow_id == target.workflow_id,
                    WebhookTestListener.version == target.version,
                    WebhookTestListener.execution_id.is_(None),
                    WebhookTestListener.expires_at > now,
                )
                .values(execution_id=execution_id, called_at=now)
            )
        return execution_id if result.rowcount == 1 else None  # type: ignore[attr-defined]

    async def release(self, target: WebhookTarget, execution_id: str) -> None:
        """Give back a claimed listener whose execution could not start."""
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(WebhookTestListener)
                .where(
                    WebhookTestListener.workflow_id == target.workflow_id,
                    WebhookTestListener.execution_id == execution_id,
                )
                .values(execution_id=None, called_at=None)
            )

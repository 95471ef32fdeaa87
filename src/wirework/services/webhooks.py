"""Webhook routing: which workflow node answers ``/webhook/{path}`` for a method.

The table is rebuilt from the database when workflows change (checked at most once a second
with one cheap query), so every server replica sees activations without coordination. The
hot path is one dict lookup.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from wirework.db.engine import readonly_session
from wirework.db.models import Workflow, WorkflowVersion

_CHANGED = "wirework.workflows_changed"
_generation = 0


def mark_workflows_changed(session: AsyncSession) -> None:
    """Call when a transaction changes workflows: once it commits, this process's webhook
    table (and scheduler) re-read them at once instead of within a second."""
    session.sync_session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    global _generation
    if session.info.pop(_CHANGED, False):
        _generation += 1


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def normalise_path(path: str) -> str:
    return path.strip("/")


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    workflow_id: int
    version: int
    node_id: str
    method: str
    path: str
    respond: str  # immediately | last_node | respond_node


class WebhookTable:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl_s: float = 1.0) -> None:
        self._sessionmaker = sessionmaker
        self._ttl_s = ttl_s
        self._checked = 0.0
        self._fingerprint: tuple[Any, ...] | None = None
        self._live: dict[tuple[str, str], WebhookTarget] = {}
        self._test: dict[tuple[str, str], WebhookTarget] = {}
        self._lock = asyncio.Lock()
        self._generation = -1

    async def lookup(self, method: str, path: str, *, test: bool = False) -> WebhookTarget | None:
        if self._generation != _generation:
            self._generation = _generation
            self._checked = 0.0
            self._fingerprint = None
        if time.monotonic() - self._checked > self._ttl_s:
            await self._refresh()
        table = self._test if test else self._live
        key = (method.upper(), normalise_path(path))
        return table.get(key)

    async def _refresh(self) -> None:
        if self._lock.locked() and self._fingerprint is not None:
            return  # another request is refreshing: serve the current table meanwhile
        async with self._lock:
            if time.monotonic() - self._checked <= self._ttl_s:
                return
            async with readonly_session(self._sessionmaker) as session:
                fingerprint = tuple(
                    (
                        await session.execute(
                            select(func.count(Workflow.id), func.max(Workflow.updated_at))
                        )
                    ).one()
                )
                if fingerprint != self._fingerprint:
                    await self._rebuild(session)
                    self._fingerprint = fingerprint
            self._checked = time.monotonic()

    async def _rebuild(self, session: AsyncSession) -> None:
        rows = (
            await session.execute(
                select(Workflow.id, Workflow.active, Workflow.version, WorkflowVersion.document)
                .join(
                    WorkflowVersion,
                    (WorkflowVersion.workflow_id == Workflow.id)
                    & (WorkflowVersion.version == Workflow.version),
                )
                .order_by(Workflow.id)
            )
        ).all()
        live: dict[tuple[str, str], WebhookTarget] = {}
        test: dict[tuple[str, str], WebhookTarget] = {}
        for workflow_id, active, version, document in rows:
            for target in targets_of(workflow_id, version, document):
                key = (target.method, target.path)
                test.setdefault(key, target)
                if active:
                    live.setdefault(key, target)  # the oldest workflow keeps a contested path
        self._live, self._test = live, test


def targets_of(workflow_id: int, version: int, document: Mapping[str, Any]) -> list[WebhookTarget]:
    out = []
    for node in document.get("nodes", []):
        if node.get("type") != "core.webhook" or node.get("disabled"):
            continue
        params = node.get("params") or {}
        out.append(
            WebhookTarget(
                workflow_id=workflow_id,
                version=version,
                node_id=str(node["id"]),
                method=str(params.get("method", "POST")).upper(),
                path=normalise_path(str(params.get("path", ""))),
                respond=str(params.get("respond", "immediately")),
            )
        )
    return out


def resume_token(signing_key: str, execution_id: str) -> str:
    """The token that authorises calling an execution's resume URL."""
    digest = hmac.new(signing_key.encode(), f"resume:{execution_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def check_resume_token(signing_key: str, execution_id: str, token: str) -> bool:
    return hmac.compare_digest(resume_token(signing_key, execution_id), token)

"""Chats (``ai.chat_trigger``): a workflow's chat settings, who may use it, its rate limits,
and one message's execution with its live reply.

A message starts an execution at the chat trigger with the item ``{session_id, message,
user?, history_hint?}``. While it runs, the ``step.delta`` events its steps publish (model
tokens, on whichever server or worker runs them: the event bus carries them; those of the
sub-workflows it awaits too, engine/executor.py ``ExecutionRun.delta``) are passed on
as :class:`Delta`; when it ends, the reply is read from its result
(:func:`wirework.nodes.ai.chat_trigger.reply_of`) as a :class:`Reply`, or a :class:`Failed`
names what went wrong."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.base import new_id
from wirework.db.models import Workflow, WorkflowVersion
from wirework.engine.outcome import STEP_DELTA
from wirework.engine.states import ExecutionStatus
from wirework.errors import NotFound, TooManyRequests
from wirework.nodes.ai.chat_trigger import (
    CHAT_TRIGGER,
    ChatAccess,
    ChatTriggerParams,
    NoReply,
    reply_of,
)
from wirework.services.engine import EngineHost, StoreUnavailable

log = logging.getLogger(__name__)

#: Seconds without a delta after which the stream says it is still there.
KEEPALIVE_S = 15.0

#: The answer to an unknown workflow, one without a chat trigger, or one not active: the
#: same 404 whatever the reason.
NOT_FOUND = "chat not found"


@dataclass(frozen=True, slots=True)
class Chat:
    """A workflow's chat: its trigger node and settings."""

    workflow_id: int
    node_id: str
    active: bool
    params: ChatTriggerParams

    @property
    def public(self) -> bool:
        return self.params.access is ChatAccess.PUBLIC


async def find_chat(session: AsyncSession, workflow_id: int) -> Chat:
    """The chat of an active workflow's newest version (its first enabled chat trigger);
    NotFound otherwise, the same for every reason."""
    row = (
        await session.execute(
            select(Workflow.active, WorkflowVersion.document)
            .join(
                WorkflowVersion,
                (WorkflowVersion.workflow_id == Workflow.id)
                & (WorkflowVersion.version == Workflow.version),
            )
            .where(Workflow.id == workflow_id)
        )
    ).first()
    if row is None or not row.active:
        raise NotFound(NOT_FOUND)
    for node in (row.document or {}).get("nodes", []):
        if node.get("type") != CHAT_TRIGGER.type or node.get("disabled"):
            continue
        try:
            params = ChatTriggerParams.model_validate(node.get("params") or {})
        except ValidationError:
            break  # checked when saved; a document that no longer passes has no chat
        return Chat(workflow_id, str(node["id"]), bool(row.active), params)
    raise NotFound(NOT_FOUND)


# --------------------------------------------------------------------------- rate limits


class ChatRateLimited(TooManyRequests):
    code = "chat_rate_limited"


class ChatLimits:
    """A public chat's messages per client address (``WIREWORK_CHAT_RATE_LIMIT``) and any
    chat's ``rate_limit`` (all callers together), counted with the `limits` library in the
    storage of the other rate limits (memory, or Redis shared by replicas)."""

    def __init__(self, limiter: MovingWindowRateLimiter, per_client: str) -> None:
        self.limiter = limiter
        self.per_client: list[RateLimitItem] = list(parse_many(per_client))
        self._items: dict[tuple[int, int], RateLimitItem] = {}

    async def count(self, chat: Chat, client: str) -> None:
        """Count one message; raise ChatRateLimited (nothing counted) when over a limit."""
        checks: list[tuple[RateLimitItem, str]] = []
        if chat.public:
            checks += [(item, f"{chat.workflow_id}:{client}") for item in self.per_client]
        limit = chat.params.rate_limit
        if limit is not None:
            shape = (limit.requests, limit.per_s)
            item = self._items.get(shape)
            if item is None:
                item = self._items[shape] = RateLimitItemPerSecond(limit.requests, limit.per_s)
            checks.append((item, str(chat.workflow_id)))
        for item, key in checks:
            if not await self.limiter.test(item, "chat", key):
                stats = await self.limiter.get_window_stats(item, "chat", key)
                wait = max(1, math.ceil(stats.reset_time - time.time()))
                raise ChatRateLimited(
                    f"too many messages to this chat; try again in {wait} s", retry_after=wait
                )
        for item, key in checks:
            await self.limiter.hit(item, "chat", key)


# --------------------------------------------------------------------------- one message


@dataclass(frozen=True, slots=True)
class Started:
    execution_id: str


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Nothing new for KEEPALIVE_S seconds (the run goes on): keeps proxies from closing."""


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of a step's text. From an awaited sub-workflow (its ``ai.chat``, an agent):
    ``node_id`` is the chat's node running it, and ``child_execution_id`` and
    ``child_node_id`` name the execution and node that wrote it."""

    node_id: str
    text: str
    child_execution_id: str | None = None
    child_node_id: str | None = None

    def data(self) -> dict[str, str]:
        """What the chat API sends (the child's fields only when there are some)."""
        out = {"node_id": self.node_id, "text": self.text}
        if self.child_execution_id is not None:
            out["child_execution_id"] = self.child_execution_id
            out["child_node_id"] = self.child_node_id or ""
        return out


@dataclass(frozen=True, slots=True)
class Reply:
    execution_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Failed:
    execution_id: str | None
    message: str


ChatEvent = Started | KeepAlive | Delta | Reply | Failed


def trigger_item(
    session_id: str,
    message: str,
    user: Mapping[str, Any] | None,
    history_hint: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"session_id": session_id, "message": message}
    if user is not None:
        item["user"] = dict(user)
    if history_hint:
        item["history_hint"] = history_hint
    return item


async def converse(
    engine: EngineHost, chat: Chat, item: dict[str, Any]
) -> AsyncIterator[ChatEvent]:
    """Run the chat's workflow for one message: Started, the Deltas as they come, then a
    Reply or Failed. The execution is recorded like any other (mode ``chat``)."""
    execution_id = new_id()
    # Follow it before it exists, so no delta published on any process is missed.
    async with engine.events.subscribe(execution_id) as queue:
        try:
            started = await engine.execute(
                chat.workflow_id,
                input_value=item,
                mode="chat",
                start_node=chat.node_id,
                execution_id=execution_id,
            )
        except Exception as exc:
            log.warning(
                "chat of workflow %s: the execution could not start: %s",
                chat.workflow_id,
                type(exc).__name__,
            )
            yield Failed(None, _start_failure(exc))
            return
        yield Started(execution_id)
        done = asyncio.ensure_future(started.wait())  # cancelling it leaves the run be
        getter: asyncio.Future[Any] | None = None
        try:
            while not done.done():
                if getter is None:
                    getter = asyncio.ensure_future(queue.get())
                await asyncio.wait(
                    {getter, done}, timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED
                )
                if not getter.done():
                    if not done.done():
                        yield KeepAlive()  # quiet for a while: still going
                    continue
                delta = _delta(getter.result())
                getter = None
                if delta is not None:
                    yield delta
            while not queue.empty():  # what arrived with the end
                delta = _delta(queue.get_nowait())
                if delta is not None:
                    yield delta
            record = await done
        finally:
            # The client went away (or the run ended): the execution goes on regardless.
            if getter is not None and not getter.done():
                getter.cancel()
            if not done.done():
                done.cancel()
    try:
        # Nothing is answered before it is recorded (the store writes behind).
        await engine.runner.store.flush(execution_id)
    except StoreUnavailable:
        yield Failed(execution_id, "the execution could not be recorded; try again later")
        return
    if record.status == ExecutionStatus.WAITING:
        yield Failed(
            execution_id, "the workflow is waiting (a wait or approval step) and has no reply yet"
        )
        return
    if record.status != ExecutionStatus.SUCCESS:
        message = (record.error or {}).get("message") or f"the workflow ended {record.status}"
        yield Failed(execution_id, str(message))
        return
    try:
        yield Reply(execution_id, reply_of(started.run.result()))
    except NoReply as exc:
        yield Failed(execution_id, str(exc))


def _delta(event: dict[str, Any]) -> Delta | None:
    if event.get("event") == STEP_DELTA and isinstance(event.get("text"), str):
        child = event.get("child_execution_id")
        return Delta(
            str(event.get("node_id", "")),
            event["text"],
            str(child) if child is not None else None,
            str(event.get("child_node_id", "")) if child is not None else None,
        )
    return None  # other progress, or events.lost: the reply is read from the record anyway


def _start_failure(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return f"the chat could not start: {message}"
    return "the chat could not start"

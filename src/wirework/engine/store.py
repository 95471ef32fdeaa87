"""Where execution state goes: the records, the :class:`Store` interface, a memory store
(for ``wirework run`` and tests of pure graph semantics) and reading stored outputs. The SQL
store, the durable one, is :mod:`wirework.engine.sql_store`.

The SQL store keeps the ORM off the hot path: records are plain dataclasses written with
SQLAlchemy Core by a single writer task that commits the records of many concurrent
executions in one transaction. Callers don't wait for step writes (a step whose record is
lost in a crash runs again: at-least-once); they wait for :meth:`Store.flush` before telling
the outside world an execution is accepted or finished.

Nothing is dropped silently: a record that cannot be written (after the batch is retried
record by record) marks its execution failed where the database still takes that, and every
``flush`` naming that execution raises :class:`StoreUnavailable` from then on. Flushes of
other executions are not affected once the database is healthy again.

Ownership: an unfinished execution names the process running it (``worker``) and holds a
lease (``lease_until``) that the process renews for all of its executions at once; another
process takes an execution over only with :meth:`Store.claim`, an atomic UPDATE that wins
only while the execution is parked, unowned (distributed mode: created or handed back for
any worker) or its lease has lapsed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table

from wirework.db.models import Execution, ExecutionStep
from wirework.engine.states import UNFINISHED, ExecutionStatus, StepStatus
from wirework.engine.usage import UsageRow
from wirework.storage import Storage as Storage_
from wirework.storage import read_output as read_stored

log = logging.getLogger(__name__)

EXEC_TABLE: Table = Execution.__table__  # type: ignore[assignment]
STEP_TABLE: Table = ExecutionStep.__table__  # type: ignore[assignment]
# An execution whose records could not be written ends with this error.
STORE_ERROR = {
    "message": "the execution store could not write this execution's records; it was stopped",
    "type": "store",
}


class StoreUnavailable(RuntimeError):
    """Records could not be written: whoever flushed must not report the execution as
    accepted or finished (the API answers 503 ``store_unavailable``)."""

    code = "store_unavailable"


@dataclass(slots=True)
class ExecutionRecord:
    id: str
    workflow_id: int | None
    workflow_version: int
    status: str  # an ExecutionStatus (records read back carry the enum too)
    mode: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    error: dict[str, Any] | None = None
    parent_execution_id: str | None = None
    retry_of: str | None = None
    result_node: str | None = None
    deadline_at: dt.datetime | None = None
    wait_until: dt.datetime | None = None
    worker: str | None = None
    lease_until: dt.datetime | None = None


@dataclass(slots=True)
class StepRecord:
    execution_id: str
    node_id: str
    run_index: int
    attempt: int
    status: str  # a StepStatus
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    error: dict[str, Any] | None = None
    output: dict[str, list[Any]] | None = None
    items_out: int = 0
    # The output was written in batches with Store.append_output (``output`` is unused).
    appended: bool = False
    # The step's model calls (engine/usage.py StepUsage.summary), or None.
    usage: dict[str, Any] | None = None


class Store(ABC):
    """Execution state: writes are queued and ordered; reads see committed state."""

    @abstractmethod
    def create_execution(self, record: ExecutionRecord) -> None: ...

    @abstractmethod
    def update_execution(self, execution_id: str, **values: Any) -> None: ...

    @abstractmethod
    def record_step(self, step: StepRecord) -> None:
        """Insert a step (or replace the same node/run/attempt, e.g. waiting → success)."""

    @abstractmethod
    def append_output(
        self, step: tuple[str, str, int, int], chunk: dict[str, list[Any]], *, first: bool
    ) -> None:
        """Append a batch of a step's output, ``step`` being (execution id, node id, run
        index, attempt); ``first`` starts the output afresh. The step itself is recorded
        afterwards with ``appended=True``. Large outputs go through here so that no single
        blob of them is ever built or rewritten."""

    async def drain(self, execution_id: str | None = None) -> None:
        """Let the event loop run, and wait for the writer if too much output is queued
        (back-pressure for nodes streaming large outputs of ``execution_id``)."""
        await asyncio.sleep(0)

    async def load_output(self, execution_id: str, node_id: str) -> dict[str, list[Any]] | None:
        """The output of a node's newest successful step (for reading back a released one)."""
        found: StepRecord | None = None
        for step in await self.load_steps(execution_id):
            if step.node_id == node_id and step.status in (StepStatus.SUCCESS, StepStatus.ERROR):
                found = step
        return found.output if found is not None else None

    def record_usage(self, rows: list[UsageRow]) -> None:  # noqa: B027 - optional
        """Add a step's model usage to the durable totals (queued with its step record)."""

    @abstractmethod
    def drop_outputs(self, execution_id: str) -> None:
        """Forget the step outputs of a finished execution (settings.save_data)."""

    @abstractmethod
    async def flush(self, *execution_ids: str) -> None:
        """Wait until everything queued so far is durable.

        Raises :class:`StoreUnavailable` if a record of one of ``execution_ids`` could not
        be written (ever); without ids, if any record failed while this flush waited."""

    async def save_response(self, execution_id: str, text: str) -> None:
        """Keep a webhook response (JSON ``text``) too large for an event
        (:mod:`wirework.engine.responses`); it goes with the execution."""
        raise NotImplementedError(f"{type(self).__name__} keeps no webhook responses")

    async def load_response(self, execution_id: str) -> str | None:
        """The response :meth:`save_response` kept, or None."""
        return None

    def failure(self, execution_id: str) -> str | None:
        """Why records of this execution could not be written, or None."""
        return None

    on_failure: Callable[[str], None] | None = None
    """Called with an execution's id when its records could not be written (the runner
    stops running it)."""

    def renew_leases(self, worker: str, until: dt.datetime) -> None:  # noqa: B027 - optional
        """Extend the lease of every unfinished execution ``worker`` owns (one statement)."""

    @abstractmethod
    async def claim(
        self,
        execution_id: str,
        worker: str,
        lease_until: dt.datetime,
        *,
        now: dt.datetime,
        from_worker: str | None = None,
    ) -> bool:
        """Take an execution over for ``worker``, atomically: it succeeds only while the
        execution is parked (``waiting``), or unfinished with its lease lapsed before ``now``,
        or owned by ``worker`` itself or by ``from_worker`` (a process known to be dead). The
        execution is then ``running`` under ``worker`` until ``lease_until``."""

    async def release(
        self, execution_id: str, lease_until: dt.datetime, *, now: dt.datetime
    ) -> bool:
        """Hand an unfinished execution whose lease lapsed before ``now`` back for any worker
        to claim (no owner; a lease until ``lease_until`` for the message re-dispatching it),
        atomically: False if it is not unfinished and lapsed (anymore)."""
        raise NotImplementedError

    async def take_wait(
        self, step: tuple[str, str, int, int], *, now: dt.datetime, stale_s: float
    ) -> bool:
        """Take the parked wait ``step`` (execution, node, run index, attempt) for a resume
        URL call, atomically: False if it is not waiting, or another call took it less than
        ``stale_s`` ago (one that died before recording the resume is taken over then)."""
        raise NotImplementedError

    async def postpone(self, execution_id: str, until: dt.datetime, *, now: dt.datetime) -> bool:
        """Move a parked execution's due timer (``wait_until`` before ``now``) to ``until``,
        atomically: False if it is not parked and due (anymore). A timer handed to a worker
        is not fired again before ``until``."""
        raise NotImplementedError

    @abstractmethod
    async def load_execution(self, execution_id: str) -> ExecutionRecord | None: ...

    @abstractmethod
    async def load_steps(self, execution_id: str) -> list[StepRecord]: ...

    @abstractmethod
    async def find(
        self,
        statuses: Sequence[str],
        *,
        due_before: dt.datetime | None = None,
        lapsed_before: dt.datetime | None = None,
        limit: int = 1000,
    ) -> list[ExecutionRecord]:
        """Executions in these statuses (waiting ones due before ``due_before``, those whose
        lease lapsed before ``lapsed_before``, if given)."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        pass

    async def close(self) -> None:  # noqa: B027 - optional hook
        pass


class MemoryStore(Store):
    """Everything in dicts; durable for the life of the process only."""

    def __init__(self) -> None:
        self.executions: dict[str, ExecutionRecord] = {}
        self.steps: dict[str, dict[tuple[str, int, int], StepRecord]] = {}
        self._appended: dict[tuple[str, str, int, int], dict[str, list[Any]]] = {}
        self.usage_rows: list[UsageRow] = []
        self.responses: dict[str, str] = {}

    def record_usage(self, rows: list[UsageRow]) -> None:
        self.usage_rows.extend(rows)

    def create_execution(self, record: ExecutionRecord) -> None:
        self.executions[record.id] = record
        self.steps.setdefault(record.id, {})

    def update_execution(self, execution_id: str, **values: Any) -> None:
        record = self.executions[execution_id]
        for key, value in values.items():
            setattr(record, key, value)

    def record_step(self, step: StepRecord) -> None:
        if step.appended:
            key = (step.execution_id, step.node_id, step.run_index, step.attempt)
            step.output = self._appended.pop(key, {})
            step.appended = False
        elif step.output is not None:
            # The executor may consume its lists as it goes: keep copies of the lists.
            step.output = {port: list(items) for port, items in step.output.items()}
        self.steps.setdefault(step.execution_id, {})[
            (step.node_id, step.run_index, step.attempt)
        ] = step

    def append_output(
        self, step: tuple[str, str, int, int], chunk: dict[str, list[Any]], *, first: bool
    ) -> None:
        if first:
            self._appended[step] = {}
        into = self._appended.setdefault(step, {})
        for port, items in chunk.items():
            into.setdefault(port, []).extend(items)

    async def save_response(self, execution_id: str, text: str) -> None:
        self.responses[execution_id] = text

    async def load_response(self, execution_id: str) -> str | None:
        return self.responses.get(execution_id)

    def drop_outputs(self, execution_id: str) -> None:
        for step in self.steps.get(execution_id, {}).values():
            step.output = None

    async def flush(self, *execution_ids: str) -> None:
        return None

    async def claim(
        self,
        execution_id: str,
        worker: str,
        lease_until: dt.datetime,
        *,
        now: dt.datetime,
        from_worker: str | None = None,
    ) -> bool:
        r = self.executions.get(execution_id)
        if r is None or not _claimable(r, worker, now, from_worker):
            return False
        r.status, r.worker, r.lease_until = ExecutionStatus.RUNNING, worker, lease_until
        r.wait_until = None
        return True

    async def release(
        self, execution_id: str, lease_until: dt.datetime, *, now: dt.datetime
    ) -> bool:
        r = self.executions.get(execution_id)
        if r is None or r.status not in UNFINISHED:
            return False
        if r.lease_until is not None and r.lease_until >= now:
            return False
        r.worker, r.lease_until = None, lease_until
        return True

    async def take_wait(
        self, step: tuple[str, str, int, int], *, now: dt.datetime, stale_s: float
    ) -> bool:
        execution_id, node_id, run_index, attempt = step
        record = self.steps.get(execution_id, {}).get((node_id, run_index, attempt))
        if record is None or record.status != StepStatus.WAITING:
            return False
        if record.finished_at is not None and record.finished_at >= now - dt.timedelta(
            seconds=stale_s
        ):
            return False
        record.finished_at = now
        return True

    async def postpone(self, execution_id: str, until: dt.datetime, *, now: dt.datetime) -> bool:
        r = self.executions.get(execution_id)
        if r is None or r.status != ExecutionStatus.WAITING:
            return False
        if r.wait_until is None or r.wait_until > now:
            return False
        r.wait_until = until
        return True

    async def load_execution(self, execution_id: str) -> ExecutionRecord | None:
        return self.executions.get(execution_id)

    async def load_steps(self, execution_id: str) -> list[StepRecord]:
        return list(self.steps.get(execution_id, {}).values())

    async def find(
        self,
        statuses: Sequence[str],
        *,
        due_before: dt.datetime | None = None,
        lapsed_before: dt.datetime | None = None,
        limit: int = 1000,
    ) -> list[ExecutionRecord]:
        found = [
            r
            for r in self.executions.values()
            if r.status in statuses
            and (due_before is None or (r.wait_until is not None and r.wait_until <= due_before))
            and (lapsed_before is None or r.lease_until is None or r.lease_until < lapsed_before)
        ]
        return found[:limit]


def _claimable(r: ExecutionRecord, worker: str, now: dt.datetime, from_worker: str | None) -> bool:
    if r.status == ExecutionStatus.WAITING:
        return True
    if r.status not in UNFINISHED:
        return False
    return (
        r.lease_until is None
        or r.worker is None  # created or handed back for any worker to claim
        or r.lease_until < now
        or r.worker == worker
        or (from_worker is not None and r.worker == from_worker)
    )


def read_output(
    text: str | None, path: str | None, max_items: int | None = None
) -> dict[str, list[Any]] | None:
    """A stored step output from its inline JSON, or from a file of a version before
    :mod:`wirework.storage` (an absolute ``output_path``: see :func:`read_output_file`);
    None when there is none. Blobs in a storage are read by :func:`load_stored_output`."""
    if text is not None:
        value = json.loads(text)
        return value if isinstance(value, dict) else None
    return read_output_file(path, max_items) if path is not None else None


async def load_stored_output(
    storage: Storage_ | None, text: str | None, path: str | None, max_items: int | None = None
) -> dict[str, list[Any]] | None:
    """A step row's output: its inline JSON, else the blob its ``output_path`` names in
    ``storage`` (a key; an absolute path is a file written before storages existed), at
    most ``max_items`` per port. None when there is none (not saved, or deleted, or a blob
    without a storage to read it from)."""
    if text is not None or path is None:
        return read_output(text, None)
    if os.path.isabs(path):
        return await asyncio.to_thread(read_output_file, path, max_items)
    return await read_stored(storage, path, max_items) if storage is not None else None


def read_output_file(path: str, max_items: int | None = None) -> dict[str, list[Any]] | None:
    """A spilled step output: one JSON document (``.json``), or batches appended one JSON
    line each (``.jsonl``) merged port by port, keeping at most ``max_items`` per port (one
    batch in memory at a time). None when the file is gone."""
    try:
        with open(path, encoding="utf-8") as fh:
            if not path.endswith(".jsonl"):
                value = json.load(fh)
                return value if isinstance(value, dict) else None
            merged: dict[str, list[Any]] = {}
            for line in fh:
                if line.strip():
                    for port, items in json.loads(line).items():
                        kept = merged.setdefault(port, [])
                        room = len(items) if max_items is None else max_items - len(kept)
                        kept.extend(items[: max(room, 0)])
            return merged
    except OSError:
        return None


def __getattr__(name: str) -> Any:
    # SqlStore lived here before it got a module of its own.
    if name == "SqlStore":
        from wirework.engine.sql_store import SqlStore

        return SqlStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The durable execution store: SQLAlchemy Core, one batching writer task per process.

See :mod:`wirework.engine.store` for the records and the contract (flush, failures, claims).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from wirework.db.engine import READONLY, create_sync_writer
from wirework.db.models_ai import AiUsage
from wirework.engine.states import UNFINISHED, ExecutionStatus, StepStatus
from wirework.engine.store import (
    EXEC_TABLE,
    STEP_TABLE,
    STORE_ERROR,
    ExecutionRecord,
    StepRecord,
    Store,
    StoreUnavailable,
    load_stored_output,
)
from wirework.engine.usage import UsageRow
from wirework.storage import Append, FileStorage, Storage, blob_key, coalesce, default_file_root

log = logging.getLogger(__name__)

# Queued step output (characters) above which streaming nodes wait for the writer.
MAX_PENDING_CHARS = 8_000_000

_EXEC_FIELDS = tuple(ExecutionRecord.__dataclass_fields__)
_STEP_FIELDS = tuple(f for f in StepRecord.__dataclass_fields__ if f not in ("output", "appended"))
_USAGE_FIELDS = tuple(UsageRow.__dataclass_fields__)
USAGE_TABLE: Table = AiUsage.__table__  # type: ignore[assignment]

_INSERT_EXEC = "insert_execution"
_UPDATE_EXEC = "update_execution"
_INSERT_STEP = "insert_step"
_UPSERT_STEP = "upsert_step"
_INSERT_USAGE = "insert_usage"  # ai_usage rows of a step's model calls
_DROP_OUTPUTS = "drop_outputs"
_APPEND_OUTPUT = "append_output"  # a storage write, not a row: done before the transaction
_RENEW_LEASES = "renew_leases"  # one UPDATE for every unfinished execution of a worker
# Within one batch, operations run in this order (inserts before the updates that need them);
# operations of one kind keep their queue order.
_ORDER = (
    _INSERT_EXEC,
    _INSERT_STEP,
    _UPSERT_STEP,
    _INSERT_USAGE,
    _UPDATE_EXEC,
    _DROP_OUTPUTS,
    _RENEW_LEASES,
)
# Executions whose records failed are remembered (for their flushes) up to this many.
MAX_FAILED = 10_000


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(slots=True)
class _Op:
    kind: str
    values: dict[str, Any]

    @property
    def execution_id(self) -> str | None:
        v = self.values
        found: str | None = v.get("b_id") or v.get("execution_id") or v.get("id")
        return found


@dataclass(slots=True, eq=False)
class _Barrier:
    """A flush waiting in the queue: what it asks about, and the failure count when asked."""

    future: asyncio.Future[None]
    execution_ids: tuple[str, ...]
    failures_before: int


def _reason(exc: BaseException) -> str:
    """An error for the log, without statement parameters (they may hold item data)."""
    if isinstance(exc, DBAPIError):
        return f"{type(exc.orig).__name__}: {str(exc.orig).splitlines()[0][:300]}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


class SqlStore(Store):
    """Durable store over SQLAlchemy Core with one batching writer task per process.

    Outputs too large for their row go to ``storage`` (:mod:`wirework.storage`; default: a
    ``file://`` storage in ``<data_dir>/executions``); the step row names the blob's key in
    ``output_path``."""

    def __init__(
        self,
        engine: AsyncEngine,
        data_dir: Path | str,
        *,
        storage: Storage | None = None,
        spill_bytes: int = 256 * 1024,
        max_batch: int = 2000,
    ) -> None:
        self._engine = engine
        # SQLite: batches are written by a synchronous connection in one dedicated thread.
        self._sync_engine = create_sync_writer(engine)
        self._sync_writer = (
            concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="wirework-sqlite-writer")
            if self._sync_engine is not None
            else None
        )
        self.storage: Storage = storage or FileStorage(default_file_root(data_dir))
        self._spill_bytes = spill_bytes
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Op | _Barrier] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        # Steps written as waiting/running and later finished are updated, not re-inserted.
        self._written_steps: set[tuple[str, str, int, int]] = set()
        # Characters of step output queued and not yet written (see drain()).
        self._pending_chars = 0
        # Executions whose records could not be written → why (oldest forgotten first).
        self._failed: OrderedDict[str, str] = OrderedDict()
        self._failures = 0  # records that could not be written, ever (see flush())

    async def start(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write_loop(), name="wirework-store-writer"
            )

    async def close(self) -> None:
        if self._writer is not None and not self._writer.done():
            with contextlib.suppress(StoreUnavailable):  # already logged by the writer
                await self.flush()
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        self._writer = None
        if self._sync_engine is not None and self._sync_writer is not None:
            sync_engine, writer = self._sync_engine, self._sync_writer
            await asyncio.get_running_loop().run_in_executor(writer, sync_engine.dispose)
            writer.shutdown(wait=False)
            self._sync_engine = self._sync_writer = None

    # -- writes -----------------------------------------------------------------------------

    def create_execution(self, record: ExecutionRecord) -> None:
        values = {name: getattr(record, name) for name in _EXEC_FIELDS}
        self._queue.put_nowait(_Op(_INSERT_EXEC, values))

    def update_execution(self, execution_id: str, **values: Any) -> None:
        self._queue.put_nowait(_Op(_UPDATE_EXEC, {"b_id": execution_id, **values}))

    def record_step(self, step: StepRecord) -> None:
        # Plain attribute reads: dataclasses.asdict would deep-copy every item.
        values = {name: getattr(step, name) for name in _STEP_FIELDS}
        output = step.output
        if step.appended:
            values["output"] = None
            values["output_path"] = blob_key(
                step.execution_id, step.node_id, step.run_index, step.attempt
            )
        else:
            values["output"] = _dumps(output) if output is not None else None
            values["output_path"] = None
        key = (step.execution_id, step.node_id, step.run_index, step.attempt)
        kind = _UPSERT_STEP if key in self._written_steps else _INSERT_STEP
        if kind == _UPSERT_STEP and values["usage"] is None:
            del values["usage"]  # a waiting step's usage stays when it is resumed
        if step.status in (StepStatus.WAITING, StepStatus.RUNNING):
            self._written_steps.add(key)
        else:
            self._written_steps.discard(key)
        self._queue.put_nowait(_Op(kind, values))

    def record_usage(self, rows: list[UsageRow]) -> None:
        now = dt.datetime.now(dt.UTC)
        for row in rows:
            values = {name: getattr(row, name) for name in _USAGE_FIELDS}
            values["created_at"] = now
            self._queue.put_nowait(_Op(_INSERT_USAGE, values))

    def append_output(
        self, step: tuple[str, str, int, int], chunk: dict[str, list[Any]], *, first: bool
    ) -> None:
        # Serialised now (the caller may reuse its lists), written by the writer task.
        line = _dumps(chunk)
        values = {
            "key": blob_key(*step),
            "line": line,
            "first": first,
            "execution_id": step[0],
        }
        self._pending_chars += len(line)
        self._queue.put_nowait(_Op(_APPEND_OUTPUT, values))

    async def drain(self, execution_id: str | None = None) -> None:
        if self._pending_chars > MAX_PENDING_CHARS:
            await self.flush(*((execution_id,) if execution_id else ()))
        else:
            await asyncio.sleep(0)

    def drop_outputs(self, execution_id: str) -> None:
        self._queue.put_nowait(_Op(_DROP_OUTPUTS, {"b_id": execution_id}))

    def renew_leases(self, worker: str, until: dt.datetime) -> None:
        self._queue.put_nowait(_Op(_RENEW_LEASES, {"r_worker": worker, "r_until": until}))

    def failure(self, execution_id: str) -> str | None:
        return self._failed.get(execution_id)

    async def flush(self, *execution_ids: str) -> None:
        if self._writer is None:
            await self.start()
        barrier = _Barrier(
            asyncio.get_running_loop().create_future(), execution_ids, self._failures
        )
        self._queue.put_nowait(barrier)
        await barrier.future

    def _release(self, barrier: _Barrier) -> None:
        if barrier.future.done():
            return
        if barrier.execution_ids:
            failed = [e for e in barrier.execution_ids if e in self._failed]
            if failed:
                message = f"the execution store could not write execution {failed[0]}"
                barrier.future.set_exception(StoreUnavailable(message))
                return
        elif self._failures != barrier.failures_before:
            message = "the execution store could not write some records"
            barrier.future.set_exception(StoreUnavailable(message))
            return
        barrier.future.set_result(None)

    async def _write_loop(self) -> None:
        while True:
            first = await self._queue.get()
            batch: list[_Op | _Barrier] = [first]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            try:
                await self._write_batch([op for op in batch if isinstance(op, _Op)])
            finally:
                for item in batch:
                    if isinstance(item, _Barrier):
                        self._release(item)

    async def _write_batch(self, ops: list[_Op]) -> None:
        failed: list[tuple[_Op, BaseException]] = []
        appends = [op for op in ops if op.kind == _APPEND_OUTPUT]
        if appends:
            ops = [op for op in ops if op.kind != _APPEND_OUTPUT]
            self._pending_chars -= sum(len(op.values["line"]) for op in appends)
        if self._failed:
            # A failed execution stays failed, whatever its run still reports; the rest of
            # its records are not written (they would fail too, or half-write it).
            appends = [op for op in appends if op.execution_id not in self._failed]
            kept = []
            for op in ops:
                v = op.values
                if op.kind == _UPDATE_EXEC and v["b_id"] in self._failed:
                    if "status" in v:
                        v.update(status=ExecutionStatus.ERROR, error=STORE_ERROR, result_node=None)
                elif op.execution_id in self._failed and op.kind != _RENEW_LEASES:
                    continue
                kept.append(op)
            ops = kept
        if appends:  # blobs first: the step rows that point at them come after
            try:
                batch = [
                    Append(o.values["key"], [o.values["line"]], o.values["first"]) for o in appends
                ]
                await self.storage.write(coalesce(batch))
            except Exception as exc:
                failed += [(op, exc) for op in appends]
        if ops:
            try:
                await self._write(ops)
            except Exception as exc:
                log.warning(
                    "execution store: a batch of %d records failed (%s); retrying one by one",
                    len(ops),
                    _reason(exc),
                )
                for op in ops:
                    try:
                        await self._write([op])
                    except Exception as one:
                        failed.append((op, one))
        if failed:
            await self._fail(failed)

    async def _fail(self, failed: list[tuple[_Op, BaseException]]) -> None:
        """Records that could not be written: remember their executions (their flushes
        raise), mark them failed if the database takes that, and tell the runner."""
        self._failures += len(failed)
        newly: list[str] = []
        for op, exc in failed:
            execution_id = op.execution_id
            log.error(
                "execution store: could not write a %s record of execution %s: %s",
                op.kind,
                execution_id or "-",
                _reason(exc),
            )
            if execution_id is not None and execution_id not in self._failed:
                newly.append(execution_id)
                self._failed[execution_id] = _reason(exc)
        while len(self._failed) > MAX_FAILED:
            self._failed.popitem(last=False)
        if not newly:
            return
        now = dt.datetime.now(dt.UTC)
        marks = [
            _Op(_UPDATE_EXEC, {"b_id": e, "status": ExecutionStatus.ERROR, "error": STORE_ERROR,
                               "finished_at": now, "wait_until": None, "result_node": None})
            for e in newly
        ]  # fmt: skip
        try:
            await self._write(marks)
        except Exception as exc:
            log.error(
                "execution store: could not mark %d execution(s) failed either (%s); "
                "they are resumed once their lease lapses",
                len(marks),
                _reason(exc),
            )
        if self.on_failure is not None:
            for execution_id in newly:
                try:
                    self.on_failure(execution_id)
                except Exception:
                    log.exception("execution store: on_failure(%s) failed", execution_id)

    async def _spill(self, ops: list[_Op]) -> None:
        for op in ops:
            if op.kind not in (_INSERT_STEP, _UPSERT_STEP):
                continue
            output = op.values.get("output")
            if output is not None and len(output) > self._spill_bytes:
                v = op.values
                key = blob_key(v["execution_id"], v["node_id"], v["run_index"], v["attempt"])
                await self.storage.write([Append(key, [output], first=True)])
                v["output"], v["output_path"] = None, key

    async def _write(self, ops: list[_Op]) -> None:
        await self._spill(ops)
        plan, dropped = _plan(ops)
        if dropped:
            await self.storage.delete_executions(dropped)
        if self._sync_engine is not None:
            # SQLite: the whole batch in one hop to the writer thread, not one per statement.
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._sync_writer, self._write_sync, plan)
            return
        async with self._engine.begin() as conn:
            for stmt, rows in plan:
                await conn.execute(stmt, rows)

    def _write_sync(self, plan: list[tuple[Executable, list[dict[str, Any]]]]) -> None:
        assert self._sync_engine is not None
        with self._sync_engine.begin() as conn:
            for stmt, rows in plan:
                conn.execute(stmt, rows)

    # -- reads ------------------------------------------------------------------------------

    async def load_execution(self, execution_id: str) -> ExecutionRecord | None:
        async with self._engine.connect() as conn:
            await conn.execution_options(**{READONLY: True})
            row = (
                await conn.execute(select(EXEC_TABLE).where(EXEC_TABLE.c.id == execution_id))
            ).first()
        return _exec_record(row._mapping) if row is not None else None

    async def load_output(self, execution_id: str, node_id: str) -> dict[str, list[Any]] | None:
        # One step's output only (the base class would read every step's).
        query = (
            select(STEP_TABLE.c.output, STEP_TABLE.c.output_path)
            .where(
                STEP_TABLE.c.execution_id == execution_id,
                STEP_TABLE.c.node_id == node_id,
                STEP_TABLE.c.status.in_((StepStatus.SUCCESS, StepStatus.ERROR)),
            )
            .order_by(STEP_TABLE.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            await conn.execution_options(**{READONLY: True})
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return await load_stored_output(self.storage, row.output, row.output_path)

    async def save_response(self, execution_id: str, text: str) -> None:
        """A large webhook response, as a blob of the execution (deleted with it)."""
        await self.storage.write([Append(_response_key(execution_id), [text], first=True)])

    async def load_response(self, execution_id: str) -> str | None:
        chunks = [chunk async for chunk in self.storage.read(_response_key(execution_id))]
        return "".join(chunks) if chunks else None

    async def load_steps(self, execution_id: str) -> list[StepRecord]:
        async with self._engine.connect() as conn:
            await conn.execution_options(**{READONLY: True})
            rows = (
                await conn.execute(
                    select(STEP_TABLE)
                    .where(STEP_TABLE.c.execution_id == execution_id)
                    .order_by(STEP_TABLE.c.id)
                )
            ).all()
        steps = []
        for row in rows:
            m = row._mapping
            output = await load_stored_output(self.storage, m["output"], m["output_path"])
            step = StepRecord(
                execution_id=m["execution_id"],
                node_id=m["node_id"],
                run_index=m["run_index"],
                attempt=m["attempt"],
                status=StepStatus(m["status"]),
                started_at=m["started_at"],
                finished_at=m["finished_at"],
                error=m["error"],
                output=output,
                items_out=m["items_out"],
                usage=m["usage"],
            )
            if step.status in (StepStatus.WAITING, StepStatus.RUNNING):
                self._written_steps.add(
                    (step.execution_id, step.node_id, step.run_index, step.attempt)
                )
            steps.append(step)
        return steps

    async def claim(
        self,
        execution_id: str,
        worker: str,
        lease_until: dt.datetime,
        *,
        now: dt.datetime,
        from_worker: str | None = None,
    ) -> bool:
        stmt = claim_statement(execution_id, worker, lease_until, now=now, from_worker=from_worker)
        if self._sync_engine is not None:  # SQLite: in the writer's thread, between batches
            sync_engine = self._sync_engine

            def _claim() -> int:
                with sync_engine.begin() as conn:
                    return int(conn.execute(stmt).rowcount)

            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._sync_writer, _claim) == 1
        async with self._engine.begin() as conn:
            return int((await conn.execute(stmt)).rowcount) == 1

    async def release(
        self, execution_id: str, lease_until: dt.datetime, *, now: dt.datetime
    ) -> bool:
        c = EXEC_TABLE.c
        stmt = (
            update(EXEC_TABLE)
            .where(
                c.id == execution_id,
                c.status.in_(UNFINISHED),
                or_(c.lease_until.is_(None), c.lease_until < now),
            )
            .values(worker=None, lease_until=lease_until)
        )
        return await self._run_now(stmt) == 1

    async def take_wait(
        self, step: tuple[str, str, int, int], *, now: dt.datetime, stale_s: float
    ) -> bool:
        # A waiting step has no finished_at: the taker sets it (the resumed step's record,
        # written next, overwrites it).
        c = STEP_TABLE.c
        execution_id, node_id, run_index, attempt = step
        stmt = (
            update(STEP_TABLE)
            .where(
                c.execution_id == execution_id,
                c.node_id == node_id,
                c.run_index == run_index,
                c.attempt == attempt,
                c.status == StepStatus.WAITING,
                or_(
                    c.finished_at.is_(None),
                    c.finished_at < now - dt.timedelta(seconds=stale_s),
                ),
            )
            .values(finished_at=now)
        )
        return await self._run_now(stmt) == 1

    async def postpone(self, execution_id: str, until: dt.datetime, *, now: dt.datetime) -> bool:
        c = EXEC_TABLE.c
        stmt = (
            update(EXEC_TABLE)
            .where(
                c.id == execution_id,
                c.status == ExecutionStatus.WAITING,
                c.wait_until.is_not(None),
                c.wait_until <= now,
            )
            .values(wait_until=until)
        )
        return await self._run_now(stmt) == 1

    async def _run_now(self, stmt: Executable) -> int:
        """One statement in its own transaction, now (not through the writer's queue)."""
        if self._sync_engine is not None:  # SQLite: in the writer's thread, between batches
            sync_engine = self._sync_engine

            def _run() -> int:
                with sync_engine.begin() as conn:
                    return int(conn.execute(stmt).rowcount)

            return await asyncio.get_running_loop().run_in_executor(self._sync_writer, _run)
        async with self._engine.begin() as conn:
            return int((await conn.execute(stmt)).rowcount)

    async def find(
        self,
        statuses: Sequence[str],
        *,
        due_before: dt.datetime | None = None,
        lapsed_before: dt.datetime | None = None,
        limit: int = 1000,
    ) -> list[ExecutionRecord]:
        query = select(EXEC_TABLE).where(EXEC_TABLE.c.status.in_(list(statuses)))
        if due_before is not None:
            query = query.where(EXEC_TABLE.c.wait_until <= due_before)
        if lapsed_before is not None:
            lease = EXEC_TABLE.c.lease_until
            query = query.where(or_(lease.is_(None), lease < lapsed_before))
        async with self._engine.connect() as conn:
            await conn.execution_options(**{READONLY: True})
            rows = (await conn.execute(query.order_by(EXEC_TABLE.c.id).limit(limit))).all()
        return [_exec_record(r._mapping) for r in rows]


def claim_statement(
    execution_id: str,
    worker: str,
    lease_until: dt.datetime,
    *,
    now: dt.datetime,
    from_worker: str | None = None,
) -> Executable:
    """The atomic UPDATE of :meth:`Store.claim` (a worker also runs it inside the
    transaction that counts running executions against the concurrency limits)."""
    c = EXEC_TABLE.c
    owners = [c.lease_until.is_(None), c.worker.is_(None), c.lease_until < now]
    owners.append(c.worker == worker)
    if from_worker is not None:
        owners.append(c.worker == from_worker)
    return (
        update(EXEC_TABLE)
        .where(
            c.id == execution_id,
            or_(
                c.status == ExecutionStatus.WAITING,
                and_(c.status.in_(UNFINISHED), or_(*owners)),
            ),
        )
        .values(
            status=ExecutionStatus.RUNNING,
            worker=worker,
            lease_until=lease_until,
            wait_until=None,
        )
    )


def _plan(ops: list[_Op]) -> tuple[list[tuple[Executable, list[dict[str, Any]]]], list[str]]:
    """A batch as (statement, rows) pairs in the order they must run (inserts before the
    updates that need them; one executemany per kind and column set), and the executions
    whose spilled outputs to delete."""
    # An execution inserted and updated in the same batch (a short one, start to finish) is
    # written as one row: the updates are folded into its insert, in queue order.
    inserted = {op.values["id"]: op.values for op in ops if op.kind == _INSERT_EXEC}
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for op in ops:
        if op.kind == _UPDATE_EXEC and op.values["b_id"] in inserted:
            row = inserted[op.values["b_id"]]
            row.update((k, v) for k, v in op.values.items() if k != "b_id")
            continue
        groups.setdefault((op.kind, tuple(sorted(op.values))), []).append(op.values)
    ordered = sorted(groups.items(), key=lambda kv: _ORDER.index(kv[0][0]))
    plan: list[tuple[Executable, list[dict[str, Any]]]] = []
    folders: list[str] = []
    for (kind, keys), rows in ordered:
        if kind == _INSERT_EXEC:
            plan.append((insert(EXEC_TABLE), rows))
        elif kind == _INSERT_STEP:
            plan.append((insert(STEP_TABLE), rows))
        elif kind == _INSERT_USAGE:
            plan.append((insert(USAGE_TABLE), rows))
        elif kind == _UPSERT_STEP:
            cols: dict[str, Any] = {k: bindparam(f"v_{k}") for k in keys}
            step_key = ("execution_id", "node_id", "run_index", "attempt")
            stmt = (
                update(STEP_TABLE)
                .where(and_(*(STEP_TABLE.c[k] == bindparam(f"k_{k}") for k in step_key)))
                .values(cols)
            )
            params = [
                {**{f"v_{k}": r[k] for k in keys}, **{f"k_{k}": r[k] for k in step_key}}
                for r in rows
            ]
            plan.append((stmt, params))
        elif kind == _DROP_OUTPUTS:
            folders += [row["b_id"] for row in rows]
            stmt = (
                update(STEP_TABLE)
                .where(STEP_TABLE.c.execution_id == bindparam("b_id"))
                .values(output=None, output_path=None)
            )
            plan.append((stmt, rows))
        elif kind == _UPDATE_EXEC:
            cols = {k: bindparam(k) for k in keys if k != "b_id"}
            stmt = update(EXEC_TABLE).where(EXEC_TABLE.c.id == bindparam("b_id"))
            plan.append((stmt.values(cols), rows))
        elif kind == _RENEW_LEASES:
            c = EXEC_TABLE.c
            stmt = (
                update(EXEC_TABLE)
                .where(
                    c.worker == bindparam("r_worker"),
                    or_(*(c.status == status for status in UNFINISHED)),
                )
                .values(lease_until=bindparam("r_until"))
            )
            plan.append((stmt, rows[-1:]))  # the newest renewal is enough
    return plan, folders


def _exec_record(m: Any) -> ExecutionRecord:
    record = ExecutionRecord(**{k: m[k] for k in ExecutionRecord.__dataclass_fields__})
    record.status = ExecutionStatus(record.status)
    return record


def _response_key(execution_id: str) -> str:
    """The blob of an execution's stored webhook response (a step's blob ends ``.jsonl``)."""
    return f"{execution_id}/response.json"

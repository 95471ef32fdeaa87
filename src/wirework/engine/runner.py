"""The runner: owns the executions running in this process.

It starts executions (respecting each workflow's concurrency limit), wakes parked ones when
their wait is over or their resume URL is called, cancels, retries from the failed step and,
on start, resumes what a previous process left unfinished. Embedded mode runs everything
here as asyncio tasks; the distributed mode will hand steps to workers through the same
:class:`ExecutionRun` code.

Several processes may share one database. Each runner has a unique ``worker_id``; the
executions it runs carry it with a lease (``lease_s``) that one statement per tick renews for
all of them. A runner takes over another's execution only through :meth:`Store.claim`
(atomic): a parked one whose timer fired or whose resume URL was called, or an unfinished one
whose lease lapsed (its process died) — found at start and by a periodic sweep.

Distributed mode (a ``remote`` dispatcher, :mod:`wirework.dispatch.celery`): this process
only *starts* executions. :meth:`Runner.execute` writes the record (unclaimed: no worker,
a lease for the message in flight) and the start trigger's step, then hands the execution to
a worker; :meth:`Runner.resume` — a fired timer, a resume URL, the sweep of lapsed leases —
hands it over again. The worker's own runner (embedded dispatcher) claims and runs it. The
:class:`Started` handle of a remote execution follows it in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wirework.db.base import new_id
from wirework.dispatch.base import Dispatcher
from wirework.dispatch.embedded import EmbeddedDispatcher
from wirework.engine import responses
from wirework.engine.executor import ExecutionRun, Hooks, utcnow
from wirework.engine.graph import Graph
from wirework.engine.leases import LEASE_S, dead_local_worker, new_worker_id
from wirework.engine.responses import ResponseWatch
from wirework.engine.resume import load_state
from wirework.engine.states import (
    UNFINISHED,
    ExecutionStatus,
    StepStatus,
    execution_transition,
)
from wirework.engine.steps import run_node
from wirework.engine.store import ExecutionRecord, StepRecord, Store, StoreUnavailable
from wirework.engine.waits import complete_wait, record_resumed
from wirework.sdk.node import Item

log = logging.getLogger(__name__)

#: Reads of a finished remote execution's result before its follow gives up (≈ 30 s).
RESULT_READS = 20

GraphLoader = Callable[[int, int | None], Awaitable[Graph]]


class ExecutionNotFound(LookupError):
    pass


class NotResumable(RuntimeError):
    pass


@dataclass
class Started:
    """A started execution: its record, and the task running it (None once parked)."""

    run: ExecutionRun
    task: asyncio.Task[ExecutionRecord]

    @property
    def id(self) -> str:
        return self.run.record.id

    async def wait(self) -> ExecutionRecord:
        """The final record (also of an execution canceled meanwhile)."""
        try:
            return await asyncio.shield(self.task)
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.task.cancelled() and not (current is not None and current.cancelling()):
                return self.run.record  # the execution was canceled, not our caller
            raise


@dataclass
class _Limiter:
    limit: int
    active: int = 0
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class Runner:
    def __init__(
        self,
        store: Store,
        *,
        load_graph: GraphLoader | None = None,
        hooks: Hooks | None = None,
        worker_id: str | None = None,
        poll_interval_s: float = 30.0,
        lease_s: float = LEASE_S,
        dispatcher: Dispatcher | None = None,
        local_limits: bool = True,
        follow_interval_s: float = 0.05,
        handoff: Dispatcher | None = None,
    ) -> None:
        self.store = store
        self.load_graph = load_graph
        self.hooks = hooks or Hooks()
        self.worker_id = worker_id or new_worker_id()
        self.lease_s = lease_s
        # Due waits are polled for (another process may have parked them) at least as often
        # as leases are swept.
        self.poll_interval_s = min(poll_interval_s, lease_s)
        # Where ready steps run and durable timers fire (embedded: this process).
        self.dispatcher = dispatcher or EmbeddedDispatcher()
        # Remote: executions run on workers (this process creates and hands them over).
        self.remote = self.dispatcher.remote
        # A worker's: where executions it starts without waiting for them go (any worker).
        self.handoff = handoff
        # Per-workflow concurrency counted here (embedded); a worker counts in the database.
        self.local_limits = local_limits
        self.follow_interval_s = follow_interval_s
        self.result_reads = RESULT_READS  # reads of a followed execution's result, at most
        self.running: dict[str, Started] = {}
        self._limiters: dict[int, _Limiter] = {}
        self._lease_task: asyncio.Task[None] | None = None
        self._lease_wakeup = asyncio.Event()
        self._resuming: set[str] = set()
        self._following: set[asyncio.Task[ExecutionRecord]] = set()  # remote executions
        self._stopping = False
        store.on_failure = self._store_failed

    # -- life cycle -------------------------------------------------------------------------

    async def start(self, *, resume: bool = True, timers: bool = True) -> None:
        """Start; ``resume`` takes over (remote: re-dispatches) unfinished executions now and
        whenever their lease lapses; ``timers`` fires the timers of parked ones."""
        await self.store.start()
        if resume:
            await self.resume_unfinished(startup=True)
        loop = asyncio.get_running_loop()
        if timers:
            self.dispatcher.start_timers(self._fire_timer, self._due_timers, self.poll_interval_s)
        self._lease_task = loop.create_task(
            self._lease_loop(sweep=resume), name="wirework-execution-leases"
        )

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let running executions finish for ``grace_s``, then let go of the rest: they stay
        unfinished, their leases end now, and another process (or this one's next start)
        resumes them. Everything is made durable."""
        await self.dispatcher.stop_timers()
        for following in list(self._following):
            following.cancel()
        if self._lease_task is not None:
            await _stop_loop(self._lease_task, self._lease_wakeup, self)
        tasks = {s.task: s.run for s in self.running.values()}
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_s)
            for task in pending:
                tasks[task].detached = True
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
                self.store.renew_leases(self.worker_id, utcnow())  # hand them over now
        with contextlib.suppress(StoreUnavailable):  # the writer logged what failed
            await self.store.flush()
        await self.store.close()

    def _store_failed(self, execution_id: str) -> None:
        """The store could not write this execution's records: stop running it (the store
        marks it failed)."""
        started = self.running.get(execution_id)
        if started is not None and not started.task.done():
            started.task.cancel()

    async def _lease_loop(self, *, sweep: bool) -> None:
        """Renew the leases of this process's executions (one statement per tick for all of
        them), and take over those whose owner's lease lapsed (``sweep``)."""
        tick = self.lease_s / 3
        while True:
            self._lease_wakeup.clear()
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lease_wakeup.wait(), timeout=tick)
            if self._stopping:
                return
            if self.running:
                until = utcnow() + dt.timedelta(seconds=self.lease_s)
                self.store.renew_leases(self.worker_id, until)
            if sweep:
                try:
                    await self.resume_unfinished()
                except Exception:
                    log.exception("could not sweep for executions whose lease lapsed")

    # -- starting ---------------------------------------------------------------------------

    async def execute(
        self,
        graph: Graph,
        *,
        mode: str = "manual",
        input_items: list[Item] | None = None,
        start_node: str | None = None,
        parent_execution_id: str | None = None,
        retry_of: str | None = None,
        respond: bool = False,
        execution_id: str | None = None,
        elsewhere: bool = False,
        awaited_by: tuple[ExecutionRun, str] | None = None,
    ) -> Started:
        """Create the execution record and start running it as a task.

        ``awaited_by``: the run and node awaiting this one (a sub-workflow): the step.delta
        events of this run go to their listeners too (``ExecutionRun.awaited_by``).
        With ``respond`` the run gets a future for its webhook response (``run.response``).
        ``elsewhere``: nobody here waits for it; a worker with a ``handoff`` dispatcher hands
        it to any worker, and a remote runner (a server) hands it to a worker without
        following it — then the handle's task ends at once with the record as created (its
        ``wait()`` does not wait for the execution's end).
        """
        record = self._new_record(
            graph, mode, parent_execution_id=parent_execution_id, retry_of=retry_of
        )
        if execution_id is not None:
            record.id = execution_id
        if self.remote:
            to = self.dispatcher if elsewhere and not respond else None
            return await self._execute_remote(
                graph, record, input_items, start_node, respond, to, awaited_by
            )
        if elsewhere and self.handoff is not None:
            return await self._execute_remote(
                graph, record, input_items, start_node, respond, self.handoff, awaited_by
            )
        run = self._new_run(graph, record, input_items, start_node, respond, awaited_by)
        limiter = self._limiter(graph)
        if limiter is not None and not self._try_acquire(limiter):
            record.status = execution_transition(record.id, None, ExecutionStatus.QUEUED)
        self.store.create_execution(record)
        return self._spawn(run, limiter, resume=False)

    def _new_run(
        self,
        graph: Graph,
        record: ExecutionRecord,
        input_items: list[Item] | None,
        start_node: str | None,
        respond: bool,
        awaited_by: tuple[ExecutionRun, str] | None = None,
    ) -> ExecutionRun:
        run = ExecutionRun(
            graph,
            record,
            self.store,
            input_items=input_items,
            start_node=start_node,
            hooks=self.hooks,
            dispatcher=self.dispatcher,
        )
        if respond:
            run.response = asyncio.get_running_loop().create_future()
        if awaited_by is not None:
            run.awaited_by(*awaited_by)
        return run

    async def _execute_remote(
        self,
        graph: Graph,
        record: ExecutionRecord,
        input_items: list[Item] | None,
        start_node: str | None,
        respond: bool,
        to: Dispatcher | None = None,
        awaited_by: tuple[ExecutionRun, str] | None = None,
    ) -> Started:
        """Distributed mode: write the execution unclaimed (``worker`` None) with its start
        trigger's step (the input travels in the store, not in the message), then hand it
        to a worker. Work that cannot start from the store (input for a node that is no
        trigger: an editor's test run) runs here."""
        run = self._new_run(graph, record, input_items, start_node, respond, awaited_by)
        starts = [graph.nodes[n] for n in run.starts]
        if (input_items is not None or start_node is not None) and not all(
            n.is_trigger for n in starts
        ):
            record.worker = self.worker_id  # run here, as embedded mode does
            self.store.create_execution(record)
            run.dispatcher = _LOCAL if self.remote else self.dispatcher
            return self._spawn(run, None, resume=False)
        record.worker = None  # unclaimed: the first worker to claim it runs it
        watch = None
        if respond and to is None and self.hooks.watch_response is not None:
            # Subscribed before the hand-over: the worker's core.respond publishes the
            # response (engine.responses); the rest of the execution runs on after it.
            watch = await self.hooks.watch_response(record.id)
        try:
            self.store.create_execution(record)
            for node in starts:  # the trigger's step holds the input items
                await run_node(run, node.id)
            await self.store.flush(record.id)
        except BaseException:
            if watch is not None:
                await watch.close()
            raise
        if to is not None:  # handed off: nobody here follows it
            to.submit(record.id)
            done = asyncio.get_running_loop().create_future()
            done.set_result(record)
            return Started(run, asyncio.ensure_future(done))
        self.dispatcher.submit(record.id)
        return self._follow(run, watch=watch)

    def _follow(
        self,
        run: ExecutionRun,
        since: ExecutionRecord | None = None,
        watch: ResponseWatch | None = None,
    ) -> Started:
        """A handle on a remote execution: its task ends when the store says the execution
        finished or parked (``run.record`` then is the stored one, its result read back);
        ``since``: the parked record it was resumed from (still parked so: not yet run);
        ``watch``: its events, carrying the webhook response ``core.respond`` publishes
        (``run.response`` is set then, before the execution ends)."""

        async def _track() -> ExecutionRecord:
            listener = None
            if watch is not None:
                listener = asyncio.get_running_loop().create_task(self._await_response(run, watch))
            try:
                record = await _poll()
                if watch is not None and run.response is not None and not run.response.done():
                    # The event may have been lost: a large response is in the store.
                    with contextlib.suppress(Exception):
                        found = await responses.stored(self.store, record.id)
                        if found is not None and not run.response.done():
                            run.response.set_result(found)
                if run.response is not None and not run.response.done():
                    run.response.set_result(run.default_response())
                return record
            except Exception as exc:
                # A webhook caller waiting for the response gets the error, not a hang.
                if run.response is not None and not run.response.done():
                    run.response.set_exception(exc)
                raise
            finally:
                if listener is not None:
                    listener.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await listener
                if watch is not None:
                    await watch.close()

        async def _poll() -> ExecutionRecord:
            interval = 0.005
            record_id = run.record.id
            warned = False
            while True:
                await asyncio.sleep(interval)
                interval = min(interval * 2, self.follow_interval_s)
                try:
                    stored = await self.store.load_execution(record_id)
                except Exception:
                    # The store is the source of truth: a dropped connection or a database
                    # restart delays the answer, it does not end the follow.
                    if not warned:
                        log.warning("following %s: the store could not be read", record_id)
                        warned = True
                    interval = max(interval, self.follow_interval_s, 0.5)
                    continue
                if stored is None or stored.status in UNFINISHED:
                    continue
                if (
                    since is not None
                    and stored.status == ExecutionStatus.WAITING
                    and (stored.worker, stored.lease_until) == (since.worker, since.lease_until)
                ):
                    continue  # not claimed yet: the resume is in flight
                run.record = stored
                if stored.result_node:
                    output = await self._read_result(record_id, stored.result_node)
                    run.outputs[stored.result_node] = output
                return stored

        task = asyncio.get_running_loop().create_task(_track(), name=f"follow-{run.record.id}")
        self._following.add(task)
        task.add_done_callback(self._following.discard)
        return Started(run, task)

    async def _await_response(self, run: ExecutionRun, watch: ResponseWatch) -> None:
        """Set ``run.response`` from the response the worker publishes (a failure to read
        it leaves the answer to the execution's end)."""
        try:
            response = await responses.published(watch, self.store, run.record.id)
        except Exception as exc:
            log.warning("%s: the webhook response could not be read: %r", run.record.id, exc)
            return
        if run.response is not None and not run.response.done():
            run.response.set_result(response)

    async def _read_result(self, execution_id: str, node_id: str) -> dict[str, list[Any]]:
        """The result node's output of a finished remote execution, read back: retried
        while the store cannot be read (a dropped connection), then an error naming it."""
        delay = 0.05
        for attempt in range(1, self.result_reads + 1):
            try:
                return await self.store.load_output(execution_id, node_id) or {}
            except Exception as exc:
                if attempt >= self.result_reads:
                    raise StoreUnavailable(
                        f"execution {execution_id} finished, but the output of its result "
                        f"node {node_id!r} could not be read: {type(exc).__name__}"
                    ) from exc
                log.warning(
                    "following %s: the result could not be read (%s); retrying",
                    execution_id,
                    type(exc).__name__,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def _new_record(
        self,
        graph: Graph,
        mode: str,
        *,
        parent_execution_id: str | None = None,
        retry_of: str | None = None,
    ) -> ExecutionRecord:
        """A running execution of ``graph`` claimed by this worker, its deadline set from
        the workflow's ``timeout_s``."""
        now = utcnow()
        timeout = graph.settings.get("timeout_s")
        return ExecutionRecord(
            id=new_id(),
            workflow_id=graph.workflow_id,
            workflow_version=graph.version,
            status=ExecutionStatus.RUNNING,
            mode=mode,
            started_at=now,
            deadline_at=now + dt.timedelta(seconds=float(timeout)) if timeout else None,
            worker=self.worker_id,
            lease_until=now + dt.timedelta(seconds=self.lease_s),
            parent_execution_id=parent_execution_id,
            retry_of=retry_of,
        )

    def _limiter(self, graph: Graph) -> _Limiter | None:
        limit = graph.settings.get("concurrency")
        if not self.local_limits or not limit or graph.workflow_id is None:
            return None
        limiter = self._limiters.get(graph.workflow_id)
        if limiter is None:
            limiter = self._limiters[graph.workflow_id] = _Limiter(int(limit))
        limiter.limit = int(limit)
        return limiter

    def _admit(self, run: ExecutionRun) -> _Limiter | None:
        """Take a concurrency slot for ``run`` now, or mark it queued for one."""
        limiter = self._limiter(run.graph)
        if limiter is not None and not self._try_acquire(limiter):
            run.set_execution_status(ExecutionStatus.QUEUED)
            self.store.update_execution(run.record.id, status=ExecutionStatus.QUEUED)
        return limiter

    def _spawn(
        self,
        run: ExecutionRun,
        limiter: _Limiter | None,
        *,
        resume: bool,
        resumed: dict[str, Any] | None = None,
    ) -> Started:
        async def _go() -> ExecutionRecord:
            if limiter is not None and run.record.status == ExecutionStatus.QUEUED:
                await self._wait_for_slot(limiter, run)
            try:
                return await run.run(resume=resume, resumed=resumed)
            except Exception as exc:
                # A bug or a failing store, not a failed node (those finish the execution):
                # a webhook caller waiting for the response gets the error, not a hang.
                response = run.response
                if response is not None and not response.done():
                    response.set_exception(exc)
                raise
            finally:
                if limiter is not None:
                    self._release(limiter)
                self.running.pop(run.record.id, None)
                if run.record.status == ExecutionStatus.WAITING:
                    self._schedule_wake(run.record)

        task = asyncio.get_running_loop().create_task(_go(), name=f"execution-{run.record.id}")
        started = Started(run, task)
        self.running[run.record.id] = started
        return started

    @staticmethod
    def _try_acquire(limiter: _Limiter) -> bool:
        if limiter.active < limiter.limit:
            limiter.active += 1
            return True
        return False

    async def _wait_for_slot(self, limiter: _Limiter, run: ExecutionRun) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        limiter.waiters.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future in limiter.waiters:
                limiter.waiters.remove(future)
            elif future.done() and not future.cancelled():
                self._release(limiter)
            raise
        run.set_execution_status(ExecutionStatus.RUNNING)
        self.store.update_execution(run.record.id, status=ExecutionStatus.RUNNING)

    def _release(self, limiter: _Limiter) -> None:
        while limiter.waiters:
            future = limiter.waiters.pop(0)
            if not future.done():
                future.set_result(None)  # the slot passes to the next execution
                return
        limiter.active -= 1

    # -- waiting, resuming ------------------------------------------------------------------

    def _schedule_wake(self, record: ExecutionRecord) -> None:
        """Arm the timer of a parked execution (the store holds it durably as
        ``wait_until``; the dispatcher wakes this process for it)."""
        if record.wait_until is not None:
            self.dispatcher.arm_timer(record.id, record.wait_until)

    async def _due_timers(self) -> list[tuple[dt.datetime, str]]:
        """Parked executions whose timer is due (another process may have parked them)."""
        now = utcnow()
        due = await self.store.find([ExecutionStatus.WAITING], due_before=now)
        return [(record.wait_until or now, record.id) for record in due]

    async def _fire_timer(self, execution_id: str) -> None:
        if execution_id in self.running:
            return
        try:
            await self.resume(execution_id)
        except (ExecutionNotFound, NotResumable):
            pass
        except Exception:
            log.exception("could not resume execution %s", execution_id)

    async def resume(
        self,
        execution_id: str,
        *,
        node_id: str | None = None,
        payload: Any = None,
        from_worker: str | None = None,
    ) -> Started:
        """Continue a parked execution, or an unfinished one whose owner's lease lapsed (or
        whose owner ``from_worker`` is known to be dead), claiming it first: of several
        processes trying, one wins, the others get :class:`NotResumable`.
        ``node_id``/``payload`` resume a webhook wait."""
        if execution_id in self.running or execution_id in self._resuming:
            raise NotResumable(f"execution {execution_id} is already running")
        if self.remote:
            return await self._resume_remote(execution_id, node_id, payload)
        self._resuming.add(execution_id)  # one resume at a time per execution, here
        try:
            return await self._claim_and_resume(execution_id, node_id, payload, from_worker)
        finally:
            self._resuming.discard(execution_id)

    async def _claim_and_resume(
        self, execution_id: str, node_id: str | None, payload: Any, from_worker: str | None
    ) -> Started:
        await self.store.flush(execution_id)  # our own queued writes first (e.g. parking)
        record = await self.store.load_execution(execution_id)
        if record is None:
            raise ExecutionNotFound(execution_id)
        if record.status not in (ExecutionStatus.WAITING, *UNFINISHED):
            raise NotResumable(f"execution {execution_id} is {record.status}")
        graph = await self._graph_for(record, record.workflow_version)
        now = utcnow()
        lease_until = now + dt.timedelta(seconds=self.lease_s)
        claimed = await self.store.claim(
            execution_id, self.worker_id, lease_until, now=now, from_worker=from_worker
        )
        if not claimed:
            raise NotResumable(f"execution {execution_id} is running or resumed elsewhere")
        record.status = execution_transition(record.id, record.status, ExecutionStatus.RUNNING)
        record.worker, record.lease_until, record.wait_until = self.worker_id, lease_until, None
        run = self._run_of(graph, record)
        resumed = {node_id: payload} if node_id is not None else None
        return self._spawn(run, self._admit(run), resume=True, resumed=resumed)

    async def _resume_remote(self, execution_id: str, node_id: str | None, payload: Any) -> Started:
        """Distributed mode: hand a parked execution (its timer fired, its resume URL was
        called) or one whose lease lapsed to a worker. A lapsed one is first released in the
        store (no owner, a lease for the message in flight), so of several sweepers one
        re-dispatches it, and not again before that lease lapses too."""
        await self.store.flush(execution_id)
        record = await self.store.load_execution(execution_id)
        if record is None:
            raise ExecutionNotFound(execution_id)
        if record.status not in (ExecutionStatus.WAITING, *UNFINISHED):
            raise NotResumable(f"execution {execution_id} is {record.status}")
        now = utcnow()
        graph = await self._graph_for(record, record.workflow_version)
        run = self._run_of(graph, record)
        if record.status in UNFINISHED:
            until = now + dt.timedelta(
                seconds=redispatch_after(record.started_at, now, self.lease_s)
            )
            if not await self.store.release(execution_id, until, now=now):
                raise NotResumable(f"execution {execution_id} is running elsewhere")
        elif node_id is None:
            # A due timer: not fired again (by this or another scheduler) before a worker
            # had a lease's time to claim it.
            until = now + dt.timedelta(seconds=self.lease_s)
            if not await self.store.postpone(execution_id, until, now=now):
                raise NotResumable(f"execution {execution_id} is not due (anymore)")
        else:
            # The resume URL's payload goes into the store (the waiting step succeeds with
            # it), not into the message; the execution is due now, so if the message is lost
            # the timers hand it over again.
            await load_state(run)
            wait = run.waiting.get(node_id)
            if wait is None or node_id in run.retrying:
                raise NotResumable(f"execution {execution_id}: node {node_id} is not waiting")
            # Of concurrent calls (two servers, a client's retry) one takes the wait; the
            # others are refused instead of overwriting its payload.
            step = run.step_key(graph.nodes[node_id], run.attempts.get(node_id, 1))
            if not await self.store.take_wait(step, now=now, stale_s=self.lease_s):
                raise NotResumable(f"execution {execution_id}: node {node_id} was resumed already")
            if wait.state is not None:
                record_resumed(run, node_id, wait, payload)
            else:
                complete_wait(run, node_id, wait, payload)
            self.store.update_execution(execution_id, wait_until=now)
            await self.store.flush(execution_id)
        self.dispatcher.submit(execution_id)
        return self._follow(self._run_of(graph, record), since=record)

    async def resume_unfinished(self, *, startup: bool = False) -> list[Started]:
        """Take over executions left running or queued by a process whose lease lapsed (at
        ``startup`` also at once those of dead processes of this host), at-least-once for the
        interrupted step; at ``startup`` also schedule the parked ones."""
        resumed = []
        now = utcnow()
        lapsed_before = None if startup else now
        for record in await self.store.find(list(UNFINISHED), lapsed_before=lapsed_before):
            if record.id in self.running:
                continue
            dead = startup and dead_local_worker(record.worker, self.worker_id)
            lapsed = record.lease_until is None or record.lease_until < now
            if not (dead or lapsed or record.worker == self.worker_id):
                continue
            try:
                resumed.append(
                    await self.resume(record.id, from_worker=record.worker if dead else None)
                )
            except NotResumable:
                pass  # another process won it
            except Exception:
                log.exception("could not resume execution %s", record.id)
        if startup:
            for record in await self.store.find([ExecutionStatus.WAITING]):
                self._schedule_wake(record)
        return resumed

    async def _graph_for(self, record: ExecutionRecord, version: int | None) -> Graph:
        if self.load_graph is None or record.workflow_id is None:
            raise NotResumable(f"execution {record.id}: its workflow cannot be loaded here")
        return await self.load_graph(record.workflow_id, version)

    # -- cancel, retry ----------------------------------------------------------------------

    async def cancel(self, execution_id: str) -> ExecutionRecord:
        started = self.running.get(execution_id)
        if started is not None:
            started.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await started.task
            return started.run.record
        record = await self.store.load_execution(execution_id)
        if record is None:
            raise ExecutionNotFound(execution_id)
        if record.status not in (ExecutionStatus.WAITING, *UNFINISHED):
            raise NotResumable(
                f"execution {execution_id} is {record.status}; it cannot be canceled"
            )
        record.status = execution_transition(record.id, record.status, ExecutionStatus.CANCELED)
        record.finished_at = utcnow()
        record.error = {"message": "execution canceled", "type": "canceled"}
        self.store.update_execution(
            execution_id,
            status=ExecutionStatus.CANCELED,
            finished_at=record.finished_at,
            error=record.error,
            wait_until=None,
        )
        return record

    async def retry(self, execution_id: str, *, latest_version: bool = False) -> Started:
        """A new execution that reuses the successful steps of a failed one and runs the
        rest, starting with the step that failed."""
        old = await self.store.load_execution(execution_id)
        if old is None:
            raise ExecutionNotFound(execution_id)
        if old.status not in (ExecutionStatus.ERROR, ExecutionStatus.CANCELED):
            raise NotResumable(
                f"execution {execution_id} is {old.status}; only failed or "
                "canceled executions can be retried"
            )
        graph = await self._graph_for(old, None if latest_version else old.workflow_version)
        record = self._new_record(
            graph, "retry", retry_of=old.id, parent_execution_id=old.parent_execution_id
        )
        if self.remote:
            record.worker = None  # unclaimed: a worker claims it
        self.store.create_execution(record)
        latest: dict[str, StepRecord] = {}
        for step in await self.store.load_steps(old.id):
            if step.node_id in graph.nodes:
                latest[step.node_id] = step
        for step in latest.values():
            if step.status in (StepStatus.SUCCESS, StepStatus.SKIPPED):
                self.store.record_step(
                    StepRecord(
                        execution_id=record.id,
                        node_id=step.node_id,
                        run_index=step.run_index,
                        attempt=1,
                        status=step.status,
                        started_at=step.started_at,
                        finished_at=step.finished_at,
                        output=step.output,
                        items_out=step.items_out,
                    )
                )
        await self.store.flush(record.id)
        run = self._run_of(graph, record)
        if self.remote:
            self.dispatcher.submit(record.id)
            return self._follow(run)
        return self._spawn(run, self._admit(run), resume=True)

    def _run_of(self, graph: Graph, record: ExecutionRecord) -> ExecutionRun:
        return ExecutionRun(graph, record, self.store, hooks=self.hooks, dispatcher=self.dispatcher)


_LOCAL = EmbeddedDispatcher()


async def _stop_loop(task: asyncio.Task[None], wakeup: asyncio.Event, owner: Any) -> None:
    """Stop a background loop between two iterations (cancelling one in the middle of a
    database call could leave its connection in a transaction), cancelling only if it does
    not stop within a few seconds."""
    owner._stopping = True
    wakeup.set()
    if task.done():  # stopped before
        return
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=5)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def redispatch_after(started_at: dt.datetime, now: dt.datetime, lease_s: float) -> float:
    """How long a re-dispatched execution's message has to be picked up before a sweep sends
    another: a lease at first, growing with the execution's age (a quarter of it, at most ten
    leases). A message lost is still made up for, while an execution that waits behind a long
    backlog is not published again every lease (which would grow the queue with copies of it
    as fast as it waits)."""
    age_s = max(0.0, (now - started_at).total_seconds())
    return min(max(lease_s, age_s / 4), lease_s * 10)

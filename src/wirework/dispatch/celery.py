"""Distributed mode: executions run on Celery workers, PostgreSQL holds every state.

The unit handed to a worker is an *execution segment*: "run execution X on from its stored
steps" (see README.md for why, with the figures). The worker claims the execution in the
store (a lease, :meth:`Store.claim`), rebuilds its state from the stored steps
(:mod:`wirework.engine.resume`), runs its ready nodes on the worker process's event loop
until it finishes or parks, renewing the lease while it runs. The message is acknowledged
late: a worker that dies holding one has it redelivered, and whatever the broker loses the
sweeper (``wirework scheduler``) re-dispatches once the lease lapsed.

- :class:`CeleryDispatcher` is the dispatcher of the processes that *start* executions
  (``wirework server``, ``wirework scheduler``): ``remote`` — the runner creates the
  execution and :meth:`submit` publishes it; timers fire by submitting too.
- :class:`WorkerDispatcher` is the one a worker runs executions with: the embedded one,
  with the node's id bound in the log context of each step; with a spreader, some branches
  of a fork run on other workers (:mod:`wirework.dispatch.spread`, task ``RUN_BRANCH``).
- :func:`make_app` is the Celery application both sides share (late ack, JSON only).
"""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import structlog
from celery import Celery

from wirework.dispatch.base import QUEUE, HandOff, ReadyWork
from wirework.dispatch.embedded import EmbeddedDispatcher
from wirework.dispatch.spread import Spreader, run_spread

log = logging.getLogger(__name__)

#: The task: run an execution on from its stored steps.
RUN_EXECUTION = "wirework.run_execution"
#: A spread branch: run one node of an execution (its claim in ``branch_claims``), record its
#: outcome for the worker running the execution (:mod:`wirework.dispatch.spread`).
RUN_BRANCH = "wirework.run_branch"


def make_app(broker_url: str, *, lease_s: float = 30.0, queue: str = QUEUE) -> Celery:
    """The Celery application of a Wirework cluster on ``broker_url`` (redis:// or amqp://),
    its executions on ``queue``."""
    app = Celery("wirework", broker=broker_url, set_as_current=False)
    app.conf.update(
        # The database is the source of truth; the broker only says "look at X".
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=queue,
        task_serializer="json",
        accept_content=["json"],
        # One message at a time beyond what runs: a dying worker holds few.
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        # A lost broker connection leaves running executions running (their leases are in
        # the database; a redelivered message fails to claim them). Celery 6 would cancel
        # them by default: pinned, which also silences its warning at every reconnection.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # After a reconnection Celery lowers the prefetch count and raises it again from the
        # acknowledging thread: with the threads pool that is a pool thread talking on the
        # AMQP channel the consumer thread reads, and both can wait on the socket for ever
        # (a worker that holds its messages and runs nothing). Never lowered, never raised.
        worker_enable_prefetch_count_reduction=False,
        # Redis redelivers an unacknowledged message after this; the sweeper does not wait
        # for it (a lapsed lease is re-dispatched), so it only needs to exceed a long step.
        broker_transport_options={"visibility_timeout": max(3600, int(lease_s * 10))},
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 5, "interval_start": 0.2, "interval_step": 1},
    )
    return app


class CeleryDispatcher(EmbeddedDispatcher):
    """Executions go to workers (``submit``); due timers and lapsed leases are submitted
    too (the runner's timers and sweep call :meth:`Runner.resume`, which submits)."""

    remote = True

    def __init__(self, app: Celery) -> None:
        super().__init__()
        self.app = app
        # Publishing blocks (the broker's round trip, retries while it is down): one thread
        # does it, in order, so the event loop never waits for the broker.
        self._publisher = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="wirework-publish"
        )

    def submit(self, execution_id: str, *, node_id: str | None = None, payload: Any = None) -> None:
        kwargs: dict[str, Any] = {}
        if node_id is not None:
            kwargs = {"node_id": node_id, "payload": payload}
        self._publisher.submit(self._publish, execution_id, kwargs)

    def submit_branch(self, execution_id: str, node_id: str, run_index: int = 0) -> None:
        """Hand one node of an execution to any worker (its claim row is written first;
        a message lost is made up for by the coordinator taking the claim back)."""
        self._publisher.submit(self._publish_branch, execution_id, node_id, run_index)

    def _publish_branch(self, execution_id: str, node_id: str, run_index: int) -> None:
        try:
            self.app.send_task(RUN_BRANCH, args=[execution_id, node_id, run_index])
        except Exception:
            log.exception("could not publish branch %s of %s", node_id, execution_id)

    def _publish(self, execution_id: str, kwargs: dict[str, Any]) -> None:
        try:
            self.app.send_task(RUN_EXECUTION, args=[execution_id], kwargs=kwargs)
        except Exception:
            # Not lost: the execution is in the store, unclaimed; the sweeper re-dispatches
            # it once its lease lapses.
            log.exception("could not publish execution %s; the sweeper will", execution_id)

    def flush_publishing(self, timeout: float = 10.0) -> None:
        """Wait until what was submitted so far is published (tests, shutdown)."""
        self._publisher.submit(lambda: None).result(timeout)

    def close(self) -> None:
        self._publisher.shutdown(wait=True)


#: What one task runs: the execution until it finishes or parks (``execution``), or one
#: ready set, handing the rest back through the broker (``ready_set``; measured, not the
#: default: see README.md).
SEGMENTS = ("execution", "ready_set")


class WorkerDispatcher(EmbeddedDispatcher):
    """A worker's: ready nodes as asyncio tasks of the worker's loop, each step's log lines
    carrying its ``node_id`` (the execution and workflow ids are bound by the task).

    ``segment="ready_set"`` runs only the nodes ready now and raises :class:`HandOff` when
    that made others ready (the task then hands the execution back to the queue)."""

    def __init__(self, segment: str = "execution", spreader: Spreader | None = None) -> None:
        super().__init__()
        if segment not in SEGMENTS:
            raise ValueError(f"segment must be one of {SEGMENTS}, not {segment!r}")
        self.segment = segment
        # Hands some branches of a fork to other workers (None: all run here).
        self.spreader = spreader

    async def run_ready(self, ready: list[str], work: ReadyWork[Any]) -> None:
        if self.spreader is not None and work.top_level and self.segment == "execution":
            plan = await self.spreader.plan(work)
            if plan is not None:
                await run_spread(ready, _LogBound(work), plan)
                return
        if self.segment == "execution" or not work.top_level:
            await super().run_ready(ready, _LogBound(work))
            return
        now, after = list(ready), ready
        after.clear()
        await super().run_ready(now, _LogBound(work, after))
        if after:
            raise HandOff


class _LogBound:
    """``work`` with the node id bound in the log context of its step; ``into``: newly
    ready nodes go there instead of into the dispatcher's list."""

    __slots__ = ("into", "top_level", "work")

    def __init__(self, work: ReadyWork[Any], into: list[str] | None = None) -> None:
        self.work = work
        self.into = into
        self.top_level = work.top_level

    def begin(self, node_id: str) -> None:
        self.work.begin(node_id)

    async def run_node(self, node_id: str) -> Any:
        tokens = structlog.contextvars.bind_contextvars(node_id=node_id)
        try:
            return await self.work.run_node(node_id)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    def complete(self, node_id: str, outcome: Any, ready: list[str]) -> None:
        self.work.complete(node_id, outcome, ready if self.into is None else self.into)

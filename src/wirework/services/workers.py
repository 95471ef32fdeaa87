"""Worker heartbeats (the operations API's ``workers`` table).

TODO(deploy helper): this is a stub so that ``wirework worker`` can call it; the deploy
helper's branch replaces it with the real service (the ``workers`` table, its migration and
``GET /api/system/workers``). Keep this signature, or change the one call in
:mod:`wirework.services.distributed` (``WorkerHost._heartbeat_loop``).
"""

from __future__ import annotations

import logging

from wirework.services.runtime import Runtime

log = logging.getLogger(__name__)


async def heartbeat(
    runtime: Runtime,
    worker_id: str,
    *,
    role: str,
    concurrency: int,
    running: int,
    stopping: bool = False,
) -> None:
    """Record that ``worker_id`` (``host:pid:nonce``, the owner name its executions carry)
    is alive: its ``role`` (``worker`` / ``scheduler``), how many executions it may run at
    once and runs now, and whether it is shutting down. Called every few seconds."""
    log.debug(
        "heartbeat",
        extra={"worker": worker_id, "role": role, "running": running, "stopping": stopping},
    )

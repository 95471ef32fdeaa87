"""Who runs an execution: a process's unique owner name, and whether a named owner of this
host is gone (see the runner for how leases are held, renewed and taken over)."""

from __future__ import annotations

import os
import secrets
import socket

# Default lease of an execution on the process running it (WIREWORK_EXECUTION_LEASE_S).
LEASE_S = 30.0


def new_worker_id() -> str:
    """A process's unique owner name: ``host:pid:nonce`` (the nonce tells a restarted
    process with a reused pid from its predecessor)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def dead_local_worker(worker: str | None, me: str) -> bool:
    """Whether ``worker`` names a process of this host that is gone (its executions can be
    taken over at once instead of when their lease lapses)."""
    if worker is None or worker == me:
        return False
    host, _, rest = worker.partition(":")
    pid_text, _, nonce = rest.partition(":")
    if host != socket.gethostname()[:60] or not pid_text.isdigit() or not nonce:
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # our pid, another nonce: the process this one replaced
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False

"""`wirework worker --check`, the workers' liveness probe: exit 0 while this host's worker
beats in the workers table, 1 when its heartbeat is stale or missing (a worker killed with
-9 leaves its row behind), 0 with "unknown" when the database cannot be reached (restarting
the worker would not help). Real PostgreSQL, Redis and worker processes (tests/dispatch).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

from tests.dispatch.cluster import WIREWORK, Cluster, cluster


async def check(cl: Cluster, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    def _run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [WIREWORK, "worker", "--check", *args],
            env=env or cl.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = await asyncio.get_running_loop().run_in_executor(None, _run)
    # The verdict is the last line (logs, e.g. of a plugin that failed to load, come first).
    lines = (done.stdout + done.stderr).strip().splitlines()
    verdict = [x for x in lines if x.startswith(("ok: ", "stale: ", "unknown: "))]
    return done.returncode, "\n".join(verdict[-1:] + lines)  # the verdict first


async def test_worker_check_follows_the_heartbeat(tmp_path: Path) -> None:
    async with cluster("redis", tmp_path, workers=1, scheduler=False) as cl:
        pid = str(cl.procs["worker1"].pid)
        code, output = await check(cl)
        assert code == 0 and output.startswith("ok: worker on"), output
        code, output = await check(cl, "--pid", pid)
        assert code == 0 and f"(pid {pid})" in output, output
        # No worker with this pid on this host.
        code, output = await check(cl, "--pid", str(os.getpid()))
        assert code == 1 and "no heartbeat" in output, output

        cl.kill("worker1", signal.SIGKILL)  # its row stays, its heartbeat ages
        await asyncio.sleep(1.5)
        code, output = await check(cl, "--pid", pid, "--stale-after", "1")
        assert code == 1 and output.startswith("stale: ") and "newest heartbeat" in output, output

        # The database is unreachable: no verdict, no restart.
        down = {**cl.env, "WIREWORK_DATABASE_URL": "postgresql://nobody:pw-1234@127.0.0.1:1/x"}
        code, output = await check(cl, env=down)
        assert code == 0 and output.startswith("unknown: "), output
        assert "pw-1234" not in output

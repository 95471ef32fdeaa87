"""Checks every native SQL integration passes the same way (PostgreSQL, MySQL/MariaDB),
through ``run_node`` against the machine's database server."""

from __future__ import annotations

import time

from tests.integrations.conftest import failure, output, run_node
from wirework.sdk.outbound import IntegrationCredentials


async def large_result_is_capped(
    node_type: str, sql: str, creds: IntegrationCredentials, rows: int = 200_000
) -> None:
    """``sql`` returns ``rows`` rows (column ``n`` counting from 1): max_rows stops reading
    early (an error, or truncated with on_limit=truncate), and the pool stays usable."""
    started = time.perf_counter()
    run = await run_node(node_type, {"sql": sql, "max_rows": 1000}, creds)
    message = failure(run)
    assert "more than max_rows=1,000 rows" in message and "on_limit=truncate" in message
    assert time.perf_counter() - started < 5
    run = await run_node(
        node_type,
        {"sql": sql, "max_rows": 1000, "on_limit": "truncate", "output": "single"},
        creds,
    )
    [single] = output(run)
    assert single["row_count"] == 1000 and single["truncated"] is True
    # The pool is still usable after a connection was dropped mid-result.
    run = await run_node(node_type, {"sql": sql, "max_rows": rows, "output": "single"}, creds)
    [single] = output(run)
    assert single["row_count"] == rows and single["truncated"] is False
    assert single["rows"][-1]["n"] == rows


async def loopback_is_refused(node_type: str, service: str, creds: IntegrationCredentials) -> None:
    """Without the admin's allow-list, the local server is not reached (and the message
    says how to allow it)."""
    run = await run_node(node_type, {"sql": "SELECT 1"}, creds)
    message = failure(run)
    assert message.startswith(f"{service}: outbound request to 127.0.0.1")
    assert "WIREWORK_OUTBOUND_ALLOW" in message

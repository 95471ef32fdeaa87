"""Data volume: 1,000,000 small items through set → filter → aggregate (target: ≤ 10 s and
≤ 512 MB peak memory). Runs in a child process so its peak RSS is its own; every step is
recorded in SQLite (or ``--database URL``); large outputs go to the storage
(``--storage file|db|s3``: file = the data dir, the embedded default; db = the
``output_chunks`` table of the same database; s3 = moto's S3 server, started in a process
of its own on a free port of 127.0.0.1, so its memory is not counted).

The baseline is the same work as plain Python over the same list, in the same process.

    python -m bench.data_volume [ITEMS] [--storage file|db|s3] [--database URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

from bench.common import machine, report, save_workflow, temp_runtime

ITEMS = 1_000_000
DOCUMENT = {
    "name": "data volume",
    "nodes": [
        {"id": "start", "type": "core.manual"},
        {"id": "set", "type": "core.set", "params": {"fields": {"group": "{{ json.team }}"}}},
        {"id": "filter", "type": "core.filter", "params": {"condition": "{{ json.n % 2 == 0 }}"}},
        {
            "id": "agg",
            "type": "core.transform",
            "params": {
                "operation": "aggregate",
                "group_by": ["group"],
                "aggregations": [{"op": "sum", "field": "n"}, {"op": "count"}],
            },
        },
    ],
    "connections": [
        {"from": "start", "to": "set"},
        {"from": "set", "to": "filter"},
        {"from": "filter", "to": "agg"},
    ],
}


def items(n: int) -> list[dict[str, object]]:
    return [{"n": i, "team": f"t{i % 10}"} for i in range(n)]


async def child(n: int, storage_url: str = "", database_url: str = "") -> None:
    from wirework.services.engine import EngineHost

    async with temp_runtime(database_url, storage_url=storage_url) as runtime:
        host = EngineHost(runtime)
        await host.start(schedules=False)
        found = getattr(runtime, "storage", None)  # (a version before storages: the data dir)
        storage = found.describe() if found is not None else "data dir (files)"
        workflow_id = await save_workflow(runtime, DOCUMENT)
        data = items(n)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        started = await host.execute(workflow_id, input_value=data)
        del data
        record = await started.wait()
        await host.runner.store.flush()
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        result = started.run.result()
        await host.stop()
    assert record.status == "success", record.error
    assert len(result) == 5 and sum(r["count"] for r in result) == n // 2, result[:3]
    # the engine's peak, input included (before the baseline allocates its own copy)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # baseline: the same work in plain Python
    data = items(n)
    t1 = time.perf_counter()
    groups: dict[object, list[int]] = {}
    for item in data:
        new = {**item, "group": item["team"]}
        if new["n"] % 2 == 0:  # type: ignore[operator]
            g = groups.setdefault(new["group"], [0, 0])
            g[0] += new["n"]  # type: ignore[operator]
            g[1] += 1
    baseline = time.perf_counter() - t1
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "cpu": cpu,
                "peak_mb": peak,
                "before_mb": rss_before,
                "baseline": baseline,
                "storage": storage,
            }
        )
    )


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """moto's S3 server in a process of its own; yields a storage URL on a fresh bucket."""
    import boto3

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        for _ in range(100):
            try:
                client.create_bucket(Bucket="bench")
                break
            except Exception:
                time.sleep(0.1)
        yield f"s3://bench/blobs?endpoint_url={endpoint}&region=us-east-1"
    finally:
        server.terminate()
        server.wait(10)


def main(n: int = ITEMS, storage: str = "file", database_url: str = "") -> dict[str, Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # moto accepts any
        os.environ.setdefault(key, "bench")
    with contextlib.ExitStack() as stack:
        storage_url = stack.enter_context(moto_s3()) if storage == "s3" else storage
        storage_url = "" if storage == "file" else storage_url  # the default: the data dir
        out = subprocess.run(
            [sys.executable, "-m", "bench.data_volume", "--child", str(n), storage_url]
            + ([database_url] if database_url else []),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    where = f"storage {storage}, {database_url.split(':', 1)[0] if database_url else 'sqlite'}"
    report(
        f"data volume ({n:,} items: set → filter → aggregate; {where}) — {machine()}",
        [
            ("execution time", f"{figures['elapsed']:.2f} s  (target ≤ 10 s)"),
            ("CPU time of the process (all threads)", f"{figures['cpu']:.2f} s"),
            ("peak memory (process RSS)", f"{figures['peak_mb']:.0f} MB  (target ≤ 512 MB)"),
            ("RSS holding the input list", f"{figures['before_mb']:.0f} MB"),
            ("baseline: same work in plain Python", f"{figures['baseline']:.2f} s"),
            ("ratio engine / plain Python", f"{figures['elapsed'] / figures['baseline']:.1f}"),
            ("large outputs stored in", figures["storage"].split("?", 1)[0]),
        ],
    )
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        asyncio.run(child(int(sys.argv[2]), *sys.argv[3:]))
    else:
        parser = argparse.ArgumentParser(prog="python -m bench.data_volume")
        parser.add_argument("items", nargs="?", type=int, default=ITEMS)
        parser.add_argument("--storage", choices=("file", "db", "s3"), default="file")
        parser.add_argument("--database", default="", help="database URL (default: SQLite)")
        args = parser.parse_args()
        main(args.items, args.storage, args.database)

"""`python -m bench [name …]` — run the benchmarks (all by default) and print their figures."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys

ALL = [
    "step_overhead",
    "webhook_throughput",
    "fanout",
    "data_volume",
    "code_cold_start",
    "list_executions",
    "integration_actions",
    "dashboard",
    "ui_editor",
    "expr_library",
    "openapi_import",
    "db_nodes",
    "ai_vectors",
    "chat_stream",
]
# Run by name only (not in `make bench`): they need PostgreSQL and a broker.
OPTIONAL = ["distributed_scaling"]


def main(names: list[str]) -> None:
    for name in names or ALL:
        if name not in ALL + OPTIONAL:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(ALL + OPTIONAL)}")
        module = importlib.import_module(f"bench.{name}")
        result = module.main()
        if inspect.isawaitable(result):
            asyncio.run(result)


if __name__ == "__main__":
    main(sys.argv[1:])

"""`wirework run FILE`: run a workflow document in-process, without a server.

Exit status: 0 the execution succeeded, 1 it failed, 2 the document (or --input) is invalid.
Progress goes to stderr; with --json the execution record goes to stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from wirework.errors import InvalidInput
from wirework.schemas.document import WorkflowDocument, parse_document
from wirework.schemas.executions import ExecutionOut
from wirework.services.local_runs import run_in_memory
from wirework.services.runtime import Runtime

STATUS_STYLE = {
    "running": "yellow",
    "success": "green",
    "error": "red",
    "skipped": "dim",
    "waiting": "cyan",
    "canceled": "magenta",
}


class Progress:
    """The table of steps, fed by the engine's events. On a terminal it is live (and, with
    ``keep=False``, cleared at the end); elsewhere (a pipe, a file, a dumb terminal) it is
    printed once, complete, when the execution ends, so no redrawing lands in a log."""

    def __init__(self, console: Console, *, keep: bool = True) -> None:
        self.console = console
        self.keep = keep
        self.rows: dict[str, dict[str, Any]] = {}
        self.live: Live | None = None

    def __enter__(self) -> Progress:
        if self.console.is_terminal and not self.console.is_dumb_terminal:
            self.live = Live(
                self.table(), console=self.console, transient=not self.keep, auto_refresh=False
            )
            self.live.start()
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        elif self.keep and self.rows and exc_type is None:
            self.console.print(self.table())

    def table(self) -> Table:
        table = Table("node", "status", "attempt", "items", "time", box=None, pad_edge=False)
        for node_id, row in self.rows.items():
            style = STATUS_STYLE.get(row["status"], "")
            took = row.get("took")
            table.add_row(
                node_id,
                f"[{style}]{row['status']}[/]" if style else row["status"],
                str(row.get("attempt", 1)),
                str(row.get("items", "")),
                f"{took * 1000:.1f} ms" if took is not None else "",
            )
        return table

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        node_id = data.get("node_id")
        if kind == "step.started" and node_id:
            self.rows[node_id] = {
                "status": "running",
                "attempt": data.get("attempt", 1),
                "t0": data["t"],
            }
        elif kind == "step.finished" and node_id:
            row = self.rows.setdefault(node_id, {"t0": data["t"]})
            row.update(status=data["status"], attempt=data.get("attempt", 1))
            row["items"] = data.get("items", "")
            row["took"] = data["t"] - row.get("t0", data["t"])
        if self.live is not None:
            self.live.update(self.table())


async def run_document(
    runtime: Runtime,
    document: WorkflowDocument,
    input_value: Any,
    progress: Progress | None,
) -> ExecutionOut:
    """Validate and run ``document`` in this process, feeding ``progress``."""
    return await run_in_memory(
        runtime, document, input_value, progress.on_event if progress else None
    )


def parse_input(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidInput.one("--input", f"is not valid JSON: {exc}") from None


def read_document(path: Path) -> WorkflowDocument:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InvalidInput.one("FILE", f"cannot read {path}: {exc.strerror}") from None
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_document(text, fmt)  # type: ignore[arg-type]

"""A server killed (SIGKILL) in the middle of an execution resumes it when it starts again:
the finished steps are not run again, the interrupted one is (at-least-once). A retry
backoff survives the kill: the retry happens when due, after the restart."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from tests.engine.servers import call, free_port, log_in, recorder, start_server
from tests.engine.waiting import wait_until


def chain(name: str, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    nodes = [{"id": "start", "type": "core.manual"}, *nodes]
    conns = [{"from": a["id"], "to": b["id"]} for a, b in itertools.pairwise(nodes)]
    return {"name": name, "nodes": nodes, "connections": conns}


def finished(server: Any, execution_id: str) -> Any:
    record = server.get(f"/api/executions/{execution_id}")
    return record if record["status"] not in ("running", "queued", "waiting") else None


def test_killed_server_resumes_unfinished_executions(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    with recorder() as rec:
        env = {"WIREWORK_OUTBOUND_ALLOW": "127.0.0.1"}
        server = start_server(data_dir, port, **env)
        try:
            log_in(server, setup=True)
            doc = chain(
                "survives a crash",
                [
                    {"id": "before", "type": "core.set", "params": {"fields": {"step": "before"}}},
                    call("hold", f"{rec.url}/hold/1"),
                    {"id": "after", "type": "core.set", "params": {"fields": {"step": "after"}}},
                ],
            )
            wf = server.post("/api/workflows", doc, 201)["id"]
            execution = server.post(f"/api/workflows/{wf}/execute", {"input": {"n": 1}}, 202)
            # `before` is done and `hold` is in the middle of its request.
            wait_until(lambda: rec.count("/hold/") == 1, "the execution reaches `hold`")
        finally:
            server.kill()
        rec.release()

        server = start_server(data_dir, port, **env)
        try:
            log_in(server, setup=False)
            record = wait_until(
                lambda: finished(server, execution["id"]), "it finishes", limit_s=90
            )
        finally:
            server.stop()
    assert record["status"] == "success", record
    runs = [(s["node_id"], s["attempt"]) for s in record["steps"]]
    assert runs.count(("before", 1)) == 1 and ("before", 2) not in runs  # not run again
    assert runs.count(("hold", 1)) == 1  # the interrupted step ran (again) after the restart
    assert rec.count("/hold/") == 2
    assert record["result"] == [{"ok": True, "step": "after"}]


def test_a_retry_backoff_survives_a_killed_server(tmp_path: Path) -> None:
    data_dir, port, backoff = tmp_path / "data", free_port(), 3.0
    retry = {"max_attempts": 2, "backoff_s": backoff, "jitter": False}
    with recorder() as rec:
        env = {"WIREWORK_OUTBOUND_ALLOW": "127.0.0.1"}
        server = start_server(data_dir, port, **env)
        try:
            log_in(server, setup=True)
            doc = chain("retried", [call("flaky", f"{rec.url}/flaky/1", retry=retry)])
            wf = server.post("/api/workflows", doc, 201)["id"]
            execution = server.post(f"/api/workflows/{wf}/execute", {}, 202)

            def retry_scheduled() -> bool:
                steps = server.get(f"/api/executions/{execution['id']}")["steps"]
                return any(
                    s["node_id"] == "flaky" and s["attempt"] == 2 and s["status"] == "waiting"
                    for s in steps
                )

            # Attempt 1 failed (500) and attempt 2 is scheduled, durably: kill the server.
            wait_until(retry_scheduled, "the retry is scheduled")
        finally:
            server.kill()
        assert rec.count("/flaky/") == 1

        server = start_server(data_dir, port, **env)
        try:
            log_in(server, setup=False)
            record = wait_until(
                lambda: finished(server, execution["id"]), "it finishes", limit_s=90
            )
        finally:
            server.stop()
    assert record["status"] == "success", record
    steps = [(s["node_id"], s["attempt"], s["status"]) for s in record["steps"]]
    assert steps == [("start", 1, "success"), ("flaky", 1, "error"), ("flaky", 2, "success")]
    first, second = rec.times("/flaky/1")
    assert second - first >= backoff  # not before the backoff was over

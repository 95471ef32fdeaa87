"""`wirework run FILE`: the real console script on example documents, with its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WIREWORK = str(Path(sys.executable).parent / "wirework")


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWORK_")}
    env["WIREWORK_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [WIREWORK, "run", *args], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


def test_run_example_json_record(tmp_path: Path) -> None:
    body = {"body": {"title": "Crash", "severity": "critical"}}
    proc = run("examples/bug_report.yaml", "--input", json.dumps(body), "--json", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["status"] == "success" and record["workflow_id"] is None
    assert {s["node_id"]: s["status"] for s in record["steps"]}["normal"] == "skipped"
    assert record["result"][0]["priority"] == "P1"
    assert set(record) >= {"id", "status", "started_at", "finished_at", "error", "steps", "result"}


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("*.y*ml")))
def test_every_core_only_example_runs(example: str, tmp_path: Path) -> None:
    text = (ROOT / "examples" / example).read_text()
    if "integration_id" in text or "core.http_request" in text:
        pytest.skip("needs an integration or the network")
    proc = run(f"examples/{example}", "--json", tmp_path=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["status"] in ("success", "error")


def test_failed_execution_exits_1(tmp_path: Path) -> None:
    doc = tmp_path / "fail.json"
    doc.write_text(
        json.dumps(
            {
                "name": "fail",
                "nodes": [
                    {"id": "start", "type": "core.manual"},
                    {
                        "id": "stop",
                        "type": "core.stop_error",
                        "params": {"message": "nope {{ json.n }}"},
                    },
                ],
                "connections": [{"from": "start", "to": "stop"}],
            }
        )
    )
    proc = run(str(doc), "--input", '{"n": 3}', tmp_path=tmp_path)
    assert proc.returncode == 1
    assert "nope 3" in proc.stderr and "Traceback" not in proc.stderr


def test_invalid_document_or_input_exits_2(tmp_path: Path) -> None:
    doc = tmp_path / "bad.yaml"
    doc.write_text("name: bad\nnodes:\n  - {id: a, type: core.nothing}\nconnections: []\n")
    proc = run(str(doc), tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "core.nothing" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("examples/bug_report.yaml", "--input", "{not json", tmp_path=tmp_path)
    assert proc.returncode == 2 and "--input" in proc.stderr
    proc = run(str(tmp_path / "missing.yaml"), tmp_path=tmp_path)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")
    proc = run(str(tmp_path / "broken.yaml"), tmp_path=tmp_path)
    assert proc.returncode == 2 and "line" in proc.stderr


async def test_an_action_no_installed_integration_runs_exits_2(tmp_path: Path) -> None:
    """Refused before the run starts, naming the node and the action."""
    from wirework.schemas.integration_types import IntegrationTypeCreate
    from wirework.services import integration_types
    from wirework.services.runtime import open_runtime
    from wirework.settings import Settings

    runtime = await open_runtime(Settings(data_dir=tmp_path / "data"))
    try:
        async with runtime.sessionmaker() as session:
            declared = {"name": "tracker", "actions": [{"name": "create_issue"}]}
            await integration_types.create(session, IntegrationTypeCreate.model_validate(declared))
            await session.commit()
    finally:
        await runtime.close()
    doc = tmp_path / "jira.yaml"
    doc.write_text(
        "name: tracker\nnodes:\n  - {id: start, type: core.manual}\n"
        "  - {id: file, type: tracker.create_issue}\nconnections: [{from: start, to: file}]\n"
    )
    proc = run(str(doc), tmp_path=tmp_path)
    assert proc.returncode == 2, proc.stderr
    flat = " ".join(proc.stderr.split())
    assert "'file'" in flat and "no installed integration runs 'tracker.create_issue'" in flat
    assert "Traceback" not in proc.stderr


def test_a_failed_execution_has_no_result(tmp_path: Path) -> None:
    doc = tmp_path / "fails-late.json"
    nodes = [
        {"id": "start", "type": "core.manual"},
        {"id": "set", "type": "core.set", "params": {"fields": {"seen": True}}},
        {"id": "stop", "type": "core.stop_error", "params": {"message": "nope"}},
    ]
    conns = [{"from": "start", "to": "set"}, {"from": "set", "to": "stop"}]
    doc.write_text(json.dumps({"name": "fails late", "nodes": nodes, "connections": conns}))
    proc = run(str(doc), "--input", '{"n": 1}', "--json", tmp_path=tmp_path)
    assert proc.returncode == 1, proc.stderr
    record = json.loads(proc.stdout)
    assert record["status"] == "error" and record["result"] is None
    assert record["result_truncated"] is False

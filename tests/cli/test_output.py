"""How every command writes: summaries on their own line, errors naming what was wrong, and
no wrapping (nor cut words) when the output is not a terminal."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import subprocess
from pathlib import Path

from tests.cli.test_cli import WIREWORK, base_env, ww

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\r")
LONG_WORDS = "/".join(f"segment{n:02d}" for n in range(20))  # one 200-character word


def narrow_env(data_dir: Path) -> dict[str, str]:
    """A 40-column "terminal" width: anything that wraps to it would show."""
    return {**base_env(data_dir), "COLUMNS": "40"}


async def test_run_summary_is_a_line_of_its_own(tmp_path: Path) -> None:
    body = json.dumps({"body": {"title": "Crash", "severity": "high"}})
    result = await ww(
        "run", str(ROOT / "examples/bug_report.yaml"), "--input", body, env=base_env(tmp_path)
    )
    assert result.code == 0, result
    lines = result.err.splitlines()
    summary = [i for i, line in enumerate(lines) if line.startswith("execution success")]
    assert len(summary) == 1, result.err
    rows = lines[: summary[0]]
    assert rows[0].split() == ["node", "status", "attempt", "items", "time"], rows
    assert [r.split()[0] for r in rows[1:]] == [
        "hook",
        "check",
        "urgent",
        "normal",
        "join",
        "answer",
    ]
    assert all(r.rstrip().endswith("ms") for r in rows[1:]), rows
    assert json.loads(result.out)[0]["priority"] == "P1"


async def test_json_record_has_no_table(tmp_path: Path) -> None:
    result = await ww(
        "run", str(ROOT / "examples/order_routing.yaml"), "--json", env=base_env(tmp_path)
    )
    assert result.code in (0, 1), result
    assert json.loads(result.out)["status"] in ("success", "error")
    assert "attempt" not in result.err


async def test_bad_input_is_named_with_the_json_error(tmp_path: Path) -> None:
    """Whatever is wrong with --input, the message names --input and the parser's complaint
    (not "invalid document"), and the exit status is 2; the document is not even read."""
    doc = str(ROOT / "examples/bug_report.yaml")
    cases = {
        "{not json": "Expecting property name",
        "": "Expecting value",
        '{"a": 1,}': "Expecting property name",
        "[1, 2": "Expecting ',' delimiter",
        '{"a": 1} trailing': "Extra data",
    }
    results = await asyncio.gather(
        *(ww("run", doc, "--input", raw, env=base_env(tmp_path)) for raw in cases),
        ww("run", str(tmp_path / "missing.yaml"), "--input", "{", env=base_env(tmp_path)),
    )
    for (raw, reason), result in zip(cases.items(), results, strict=False):
        assert result.code == 2, (raw, result)
        assert result.err.startswith("error: --input: is not valid JSON: "), (raw, result.err)
        assert reason in result.err and "line 1 column" in result.err, (raw, result.err)
        assert "invalid document" not in result.err and "Traceback" not in result.both
        assert result.out == ""
    assert "--input" in results[-1].err and "missing.yaml" not in results[-1].err


async def test_document_errors_say_what_was_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nnodes:\n  - {id: a, type: core.nothing}\n"
        "  - {id: b, type: core.set, params: {fields: 3}}\nconnections: []\n"
    )
    missing, directory, invalid = await asyncio.gather(
        ww("run", str(tmp_path / "missing.yaml"), env=base_env(tmp_path)),
        ww("run", str(tmp_path), env=base_env(tmp_path)),
        ww("run", str(bad), env=base_env(tmp_path)),
    )
    for result in (missing, directory):
        assert result.code == 2, result
        assert result.err.startswith("error: FILE: cannot read "), result.err
        assert "invalid document" not in result.err
    assert invalid.code == 2, invalid
    lines = invalid.err.splitlines()
    assert lines[0] == f"error: invalid document {bad}: 2 problems", lines
    assert "node 'a': nodes[0].type: unknown node type 'core.nothing'" in lines[1]
    assert "node 'b': nodes[1].params.fields" in lines[2]
    assert "attempt" not in invalid.err  # no empty table of steps


async def test_nothing_wraps_when_output_is_not_a_terminal(tmp_path: Path) -> None:
    """A 40-column COLUMNS and long messages, values and words: every message is one line,
    every value whole (no "…"), in each command that prints them."""
    long_dir = tmp_path / LONG_WORDS
    fail_doc = tmp_path / "fail.json"
    message = " ".join(["this failure message is long"] * 10)
    fail_doc.write_text(
        json.dumps(
            {
                "name": "fail",
                "nodes": [
                    {"id": "start", "type": "core.manual"},
                    {"id": "stop", "type": "core.stop_error", "params": {"message": message}},
                ],
                "connections": [{"from": "start", "to": "stop"}],
            }
        )
    )
    env = narrow_env(long_dir)
    missing, failed, config, bad_key, usage, help_ = await asyncio.gather(
        ww("run", str(tmp_path / LONG_WORDS / "x.yaml"), env=env),
        ww("run", str(fail_doc), env=env),
        ww("config", env=env),
        ww("keys", "rotate", "--new-key", "not-a-key " * 20, env=env),
        ww("user", "create", env=env),
        ww("--help", env=env),
    )
    assert missing.code == 2
    assert missing.err.splitlines() == [
        f"error: FILE: cannot read {tmp_path / LONG_WORDS / 'x.yaml'}: No such file or directory"
    ]
    assert failed.code == 1
    assert f"error: node 'stop': {message}" in failed.err.splitlines(), failed.err
    assert config.code == 0
    (row,) = [line for line in config.out.splitlines() if line.startswith("data_dir")]
    assert row.split() == ["data_dir", str(long_dir), "WIREWORK_DATA_DIR"]
    assert "…" not in config.out
    assert bad_key.code == 1 and len(bad_key.err.splitlines()) == 1, bad_key.err
    assert bad_key.err.startswith("error: --new-key: key #1 is not a valid Fernet key")
    # Usage errors are click's plain lines, not a box drawn at 80 columns.
    assert usage.code == 2
    assert "Error: Missing option '--email'." in usage.err.splitlines()
    assert "╭" not in usage.err and "│" not in usage.err
    # Help: each command's line whole, not cut short with "..." at 40 columns.
    assert help_.code == 0
    server_line = next(line for line in help_.out.splitlines() if line.strip().startswith("server"))
    assert server_line.split(None, 1)[1] == (
        "Serve the API, webhooks and UI (embedded mode: also the scheduler and workers)."
    )


def test_a_terminal_wraps_between_words_only(tmp_path: Path) -> None:
    """On a (pseudo-)terminal 50 columns wide, a long message wraps, but only between words:
    the 200-character path comes out whole."""
    primary, secondary = pty.openpty()
    env = {**narrow_env(tmp_path), "COLUMNS": "50", "TERM": "xterm"}
    path = tmp_path / LONG_WORDS / "x.yaml"
    try:
        proc = subprocess.Popen(
            [str(WIREWORK), "run", str(path)],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            close_fds=True,
        )
        os.close(secondary)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 2
    finally:
        os.close(primary)
    screen = ANSI.sub("", b"".join(chunks).decode())
    lines = [line.strip() for line in screen.splitlines() if line.strip()]
    assert f"{path}:" in lines, lines  # the long word on a line of its own, unbroken
    words = " ".join(lines).split()
    expected = f"error: FILE: cannot read {path}: No such file or directory".split()
    assert words == expected, lines
    assert len(lines) > 1  # and it did wrap

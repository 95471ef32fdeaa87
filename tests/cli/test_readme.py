"""The README's commands work as written: its shell blocks from "First steps" to
"Configuration" run with bash against a real server, as a new user would paste them."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.cli.live import WIREWORK, live_server, server_env

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def readme_blocks(start: str, end: str) -> list[str]:
    """The ```sh blocks of the README between the headings ``start`` and ``end``."""
    text = README.read_text()
    section = text[text.index(f"\n## {start}\n") : text.index(f"\n## {end}\n")]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def as_script(blocks: list[str], port: int) -> str:
    """What a user types: `make run` is the server this test started, activating the venv is
    PATH (set by the caller); blocks that need a secret of the reader's own are left out."""
    lines = []
    for block in blocks:
        if "$SECRET" in block:
            continue
        for line in block.splitlines():
            if line.startswith(("make ", ". .venv/bin/activate")):
                continue
            lines.append(line.replace(":8000", f":{port}"))
    return "\n".join(lines) + "\n"


def test_first_steps_cover_the_commands_a_new_user_needs() -> None:
    blocks = readme_blocks("First steps", "Configuration")
    text = "\n".join(blocks)
    for needle in ("make run", ". .venv/bin/activate", "/api/health", "/api/setup", "wirework run"):
        assert needle in text, needle
    assert "../shared" not in README.read_text()


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
    reason="the README's examples use bash, curl and jq",
)
async def test_readme_commands_run_against_a_real_server(tmp_path: Path) -> None:
    async with live_server(tmp_path, "--port", "0") as server:
        port = int(server.url.rsplit(":", 1)[1])
        script = as_script(readme_blocks("First steps", "Configuration"), port)
        env = server_env(tmp_path)
        env["PATH"] = f"{WIREWORK.parent}{os.pathsep}{env.get('PATH', '')}"
        proc = await asyncio.create_subprocess_exec(
            "bash",
            "-e",
            "-o",
            "pipefail",
            "-c",
            script,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out_b, err_b = await asyncio.wait_for(proc.communicate(), 300)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, (script, out, err)
    # Every API call answered what the README says, none an error body.
    assert '"status":"ok"' in out
    assert '"code":' not in out, out
    assert '"api_token":"********"' in out and "s3cr3t" not in out
    assert "type: jira.create_issue" in out  # the export, in YAML
    assert "execution success" in err  # wirework run's summary
    assert '"priority": "P1"' in out
    assert '"status": "success"' in out  # wirework run --json


@pytest.mark.parametrize(
    "page", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
)
def test_docs_links_stay_inside_the_repository(page: str) -> None:
    """Every relative link of the README and docs/ names a file of this repository: the
    repository stands alone."""
    path = ROOT / page
    for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        assert resolved.is_relative_to(ROOT), (page, target)
        assert resolved.exists(), (page, target)

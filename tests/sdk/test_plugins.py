"""Plugin discovery through the ``wirework.integrations`` entry points: the built-ins and the
example third-party package are found; a broken plugin is reported (log, GET /api/plugins)
and skipped, never fatal."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wirework.sdk.registry import load_plugins, registry

BROKEN = {
    "wirework_broken_import": "raise RuntimeError('this plugin is broken on purpose')\n",
    "wirework_broken_twice": (
        "from wirework.sdk.registry import NodeSpec, registry\n"
        "from wirework.nodes.triggers import ManualParams\n"
        "registry.register_node(NodeSpec('core.manual', 'x', 'x', 'trigger', ManualParams))\n"
    ),
}


@pytest.fixture
def broken_plugins(tmp_path: Path) -> Iterator[Path]:
    """Two installed distributions whose entry points fail: an import error, and a node type
    that is already registered."""
    for module, code in BROKEN.items():
        (tmp_path / f"{module}.py").write_text(code)
        info = tmp_path / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(f"[wirework.integrations]\n{module} = {module}\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for module in BROKEN:
            sys.modules.pop(module, None)


def test_the_built_ins_and_the_example_plugin_are_found() -> None:
    loaded = {p.name: p for p in registry.plugins or load_plugins()}
    assert {"core", "jira", "github"} <= set(loaded)
    assert all(p.ok for p in loaded.values())
    example = loaded.get("acme_notes")
    if example is None:
        pytest.skip("the example plugin is not installed (make install)")
    assert example.package == "wirework-example" and example.version == "0.1.0"
    assert registry.node("acme_notes.create_note") is not None
    assert registry.integration("acme_notes").display_name == "Acme Notes"


def test_a_broken_plugin_is_reported_and_skipped(
    broken_plugins: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="wirework.sdk.registry"):
        statuses = {p.name: p for p in load_plugins()}
    broken = statuses["wirework_broken_import"]
    assert not broken.ok and broken.error == "RuntimeError: this plugin is broken on purpose"
    twice = statuses["wirework_broken_twice"]
    assert not twice.ok and "registered twice" in (twice.error or "")
    assert statuses["jira"].ok and statuses["github"].ok and statuses["core"].ok
    assert "integration plugin 'wirework_broken_import' failed to load" in caplog.text
    assert registry.node("core.manual") is not None  # the first registration stands


async def test_the_api_lists_broken_plugins(
    client: httpx.AsyncClient, broken_plugins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.ensure_loaded()
    monkeypatch.setattr(registry, "plugins", load_plugins())
    resp = await client.get("/api/plugins")
    assert resp.status_code == 200, resp.text
    found = {p["name"]: p for p in resp.json()}
    assert found["wirework_broken_import"]["ok"] is False
    assert "broken on purpose" in found["wirework_broken_import"]["error"]
    assert found["jira"]["ok"] is True
    types = await client.get("/api/integration-types")
    assert types.status_code == 200  # the catalogue still answers

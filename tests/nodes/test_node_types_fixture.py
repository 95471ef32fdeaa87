"""The node panel's component tests use the real node types' params schemas: the committed
fixture (web/src/editor/panel/fixtures/node-types.json) must match the registry's."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen-node-types-fixture.py"


def test_node_types_fixture_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_node_types_fixture", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads(module.FIXTURE.read_text(encoding="utf-8"))
    fresh = json.loads(module.render())
    assert committed == fresh, (
        "web/src/editor/panel/fixtures/node-types.json is stale: run "
        "`PYTHONPATH=src .venv/bin/python scripts/gen-node-types-fixture.py` and commit it"
    )

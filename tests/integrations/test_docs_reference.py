"""docs/integrations.md's reference of the built-in types is generated from their
declarations: the committed one must be current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gen-integrations-docs.py"


def test_integrations_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_integrations_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = module.DOC.read_text(encoding="utf-8")
    assert module.START in committed and module.END in committed
    assert committed == module.render(committed), (
        "docs/integrations.md's reference is stale: run "
        "`PYTHONPATH=src .venv/bin/python scripts/gen-integrations-docs.py` and commit it"
    )

"""docs/expressions.md is generated from the registry: it must be up to date."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from wirework.engine.exprlib import ENTRIES

ROOT = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_expression_docs", ROOT / "scripts" / "gen-expression-docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_page_is_up_to_date() -> None:
    page = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
    assert page == _generator().render(), (
        "docs/expressions.md is stale: run .venv/bin/python scripts/gen-expression-docs.py"
    )


def test_the_page_names_every_entry() -> None:
    page = (ROOT / "docs" / "expressions.md").read_text(encoding="utf-8")
    for entry in ENTRIES:
        assert re.search(rf"`[^`]*\b{entry.name}\b[^`]*`", page), entry.name


def test_the_page_is_linked_from_the_docs() -> None:
    for linking in ("docs/README.md", "docs/workflows.md"):
        assert "expressions.md" in (ROOT / linking).read_text(encoding="utf-8"), linking

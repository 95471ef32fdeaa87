#!/usr/bin/env python3
"""Write every installed node type's metadata (as `GET /api/node-types` returns it) into
web/src/editor/panel/fixtures/node-types.json, for the node panel's component tests: its
forms are tested against the real params schemas, never hand-written copies.

    PYTHONPATH=src .venv/bin/python scripts/gen-node-types-fixture.py

tests/nodes/test_node_types_fixture.py fails while the committed file is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "web/src/editor/panel/fixtures/node-types.json"


def render() -> str:
    """This package's node types (not those of other installed plugins, such as the
    example one: the fixture must not depend on what else a machine has installed)."""
    from wirework.sdk.registry import registry
    from wirework.services.node_types import list_node_types

    def ours(type_: str) -> bool:
        spec = registry.node(type_)
        return spec is not None and spec.params.__module__.startswith("wirework.")

    return (
        json.dumps(
            [t.model_dump(mode="json") for t in list_node_types() if ours(t.type)],
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )


if __name__ == "__main__":
    FIXTURE.write_text(render(), encoding="utf-8")
    print(f"wrote {FIXTURE}", file=sys.stderr)

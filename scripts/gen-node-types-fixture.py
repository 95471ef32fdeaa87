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
    from wirework.services.node_types import list_node_types

    return (
        json.dumps(
            [t.model_dump(mode="json") for t in list_node_types()], indent=1, ensure_ascii=False
        )
        + "\n"
    )


if __name__ == "__main__":
    FIXTURE.write_text(render(), encoding="utf-8")
    print(f"wrote {FIXTURE}", file=sys.stderr)

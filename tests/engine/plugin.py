"""The test node types as a plugin (``wirework.integrations`` entry point): what the worker
processes of the distributed-mode engine tests load (tests/engine/engines.py writes the
entry point)."""

from __future__ import annotations

from tests.engine.nodes import SPECS
from wirework.sdk.registry import registry

for _spec in SPECS:
    registry.register_node(_spec)

"""The catalogue of node types (core nodes and installed integration packages) as the API and
the editor see it: each type's ports, group and params JSON Schema."""

from __future__ import annotations

from typing import Any

from wirework.errors import NotFound
from wirework.sdk.registry import registry


def list_node_types(group: str | None = None) -> list[dict[str, Any]]:
    """Every registered node type's metadata (only ``group``'s, when given), by type name."""
    return [s.metadata() for s in registry.nodes() if group is None or s.group == group]


def get_node_type(node_type: str) -> dict[str, Any]:
    """One node type's metadata; NotFound naming it if no installed package declares it."""
    spec = registry.node(node_type)
    if spec is None:
        raise NotFound(f"node type {node_type!r} not found")
    return spec.metadata()

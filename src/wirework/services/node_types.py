"""The catalogue of node types (core nodes and installed integration packages) as the API and
the editor see it: each type's ports, group, palette section and icon, and params JSON
Schema."""

from __future__ import annotations

from wirework.errors import NotFound
from wirework.schemas.node_types import NodeTypeOut
from wirework.sdk.registry import registry


def list_node_types(group: str | None = None) -> list[NodeTypeOut]:
    """Every registered node type's metadata (only ``group``'s, when given), by type name."""
    return [
        NodeTypeOut.model_validate(s.metadata())
        for s in registry.nodes()
        if group is None or s.group == group
    ]


def get_node_type(node_type: str) -> NodeTypeOut:
    """One node type's metadata; NotFound naming it if no installed package declares it."""
    spec = registry.node(node_type)
    if spec is None:
        raise NotFound(f"node type {node_type!r} not found")
    return NodeTypeOut.model_validate(spec.metadata())

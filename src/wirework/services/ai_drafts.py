"""``POST /api/ai/draft-workflow``: a workflow described in words, drafted by the assistant's
model and validated as a save is (:func:`wirework.services.documents.validate_document`: the
document schema, node types, params, expressions, integrations, connections) before it is
returned. An invalid draft goes back to the model with its problems; after the last attempt
the request is refused with a 422 listing them. Nothing is saved: the editor applies the
draft to its canvas and saves it the normal way.

The model sees the node-type catalogue, the integrations by id, name and type, and (to
change a workflow) the current document with secret params masked — never a credential."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from wirework.errors import InvalidInput
from wirework.schemas.ai_assistant import DraftIn, DraftOut
from wirework.schemas.document import document_to_dict
from wirework.sdk.ai import Message, Role
from wirework.services import ai_catalogue, documents, integrations
from wirework.services.ai_assistant import Assistant, AssistantTask
from wirework.services.runtime import Runtime

_NODE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "unique: letters, digits, _ . -"},
        "name": {"type": "string", "description": "unique display name"},
        "type": {"type": "string", "description": "a node type of the catalogue"},
        "integration_id": {
            "type": ["integer", "null"],
            "description": "integration actions (<type>.<action>): the integration's id",
        },
        "params": {"type": "object", "description": "the node type's params"},
    },
    "required": ["id", "type", "params"],
}
_CONNECTION = {
    "type": "object",
    "properties": {
        "from": {"type": "string"},
        "from_output": {"type": "string", "description": "default main"},
        "to": {"type": "string"},
        "to_input": {"type": "string", "description": "default main"},
    },
    "required": ["from", "to"],
}
DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "nodes": {"type": "array", "items": _NODE},
        "connections": {"type": "array", "items": _CONNECTION},
    },
    "required": ["name", "nodes", "connections"],
}

RULES = """You draft Wirework workflows. Answer with one JSON object only: {"name", "description",
"nodes": [{"id", "name", "type", "integration_id", "params"}], "connections": [{"from",
"from_output", "to", "to_input"}]}.
Rules:
- Start with one trigger node (core.manual when nothing else fits).
- Use only node types of the catalogue, and only the params it lists (* = required).
- Integration actions (type <integration type>.<action>) set the node's "integration_id" to
  one of the integrations listed; ai.* nodes name theirs in params.integration_id. Never
  invent an integration id; leave the integration out when none fits.
- Connections go from a node id to a node id; nodes with named outputs (core.if: true,
  false; core.switch, ai.classify: their outputs) name the output in "from_output".
- Params may use expressions: {{ json.field }} (the current item), {{ nodes['Name'].json.x }}
  (another node's output), Jinja filters.
"""


def _integrations_text(rows: list[Any]) -> str:
    if not rows:
        return "(none)"
    return "\n".join(f"- id {r.id}: {r.name} ({r.type.name})" for r in rows)


def _current_for_model(current: Mapping[str, Any]) -> dict[str, Any]:
    """The current document as the model sees it: nodes and connections, secrets masked."""
    nodes = []
    for node in current.get("nodes") or []:
        if not isinstance(node, Mapping):
            continue
        shown = {k: node[k] for k in ("id", "name", "type", "integration_id") if k in node}
        params = node.get("params")
        if isinstance(params, Mapping):
            shown["params"] = ai_catalogue.masked_params(str(node.get("type", "")), params)
        nodes.append(shown)
    return {
        "name": current.get("name"),
        "description": current.get("description", ""),
        "nodes": nodes,
        "connections": current.get("connections") or [],
    }


def _unmask(new: Any, old: Any) -> Any:
    """``new`` with each ``***`` the model kept replaced by the value at the same place in
    ``old`` (the current params, never shown to the model)."""
    if new == ai_catalogue.MASK and old is not None:
        return old
    if isinstance(new, dict) and isinstance(old, Mapping):
        if new.get("value") == ai_catalogue.MASK and new.get("name") == old.get("name"):
            return {**new, "value": old.get("value")}
        return {k: _unmask(v, old.get(k)) for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, list):
        return [_unmask(v, old[i] if i < len(old) else None) for i, v in enumerate(new)]
    return new


def _restore_masked(draft: dict[str, Any], current: Mapping[str, Any] | None) -> None:
    """Masked params the model kept (``***``) get the current node's values back."""
    if not current:
        return
    before = {
        n.get("id"): n.get("params") or {}
        for n in current.get("nodes") or []
        if isinstance(n, Mapping)
    }
    for node in draft.get("nodes") or []:
        if isinstance(node, dict) and isinstance(node.get("params"), dict):
            node["params"] = _unmask(node["params"], before.get(node.get("id")))


def layout(nodes: list[dict[str, Any]], connections: list[Any]) -> None:
    """Place nodes without a position in columns by their distance from a trigger."""
    ids = [n["id"] for n in nodes if isinstance(n.get("id"), str)]
    incoming: dict[str, list[str]] = defaultdict(list)
    for c in connections:
        if isinstance(c, Mapping) and c.get("to") in ids and c.get("from") in ids:
            incoming[str(c["to"])].append(str(c["from"]))
    depth: dict[str, int] = {}

    def depth_of(node_id: str, seen: frozenset[str]) -> int:
        if node_id in depth:
            return depth[node_id]
        parents = [p for p in incoming.get(node_id, []) if p not in seen]
        found = 1 + max((depth_of(p, seen | {node_id}) for p in parents), default=-1)
        depth[node_id] = found
        return found

    rows: dict[int, int] = defaultdict(int)
    for node in nodes:
        if not isinstance(node.get("id"), str):
            continue
        column = depth_of(node["id"], frozenset())
        row = rows[column]
        rows[column] += 1
        if not isinstance(node.get("position"), Mapping):
            node["position"] = {"x": 80 + 280 * column, "y": 80 + 140 * row}


def _build(answer: Any, current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The draft as a document: the model's nodes and connections; the current document's
    settings, tags, notes, positions and pinned data (of nodes it keeps)."""
    if not isinstance(answer, dict):
        raise InvalidInput.one("document", "must be a JSON object")
    doc: dict[str, Any] = {
        "name": answer.get("name") or (current or {}).get("name") or "Draft",
        "description": answer.get("description") or "",
        "nodes": answer.get("nodes"),
        "connections": answer.get("connections", []),
    }
    if isinstance(doc["nodes"], list):
        for node in doc["nodes"]:
            if isinstance(node, dict):
                if node.get("integration_id") is None:
                    node.pop("integration_id", None)
                node.pop("position", None)
    if current:
        for key in ("settings", "tags", "sticky_notes"):
            if key in current:
                doc[key] = current[key]
        positions = {
            n.get("id"): n.get("position")
            for n in current.get("nodes") or []
            if isinstance(n, Mapping)
        }
        kept = set()
        for node in doc["nodes"] if isinstance(doc["nodes"], list) else []:
            if isinstance(node, dict) and isinstance(positions.get(node.get("id")), Mapping):
                node["position"] = positions[node["id"]]
                kept.add(node["id"])
        pinned = current.get("pinned_data")
        if isinstance(pinned, Mapping):
            still = {k: v for k, v in pinned.items() if k in kept}
            if still:
                doc["pinned_data"] = still
        _restore_masked(doc, current)
    if isinstance(doc["nodes"], list) and isinstance(doc["connections"], list):
        layout([n for n in doc["nodes"] if isinstance(n, dict)], doc["connections"])
    return doc


async def draft_workflow(session: AsyncSession, runtime: Runtime, data: DraftIn) -> DraftOut:
    assistant = await Assistant.open(session, runtime)
    try:
        return await _draft(session, runtime, assistant, data)
    finally:
        await assistant.aclose()


async def _draft(
    session: AsyncSession, runtime: Runtime, assistant: Assistant, data: DraftIn
) -> DraftOut:
    current = data.document
    rows = list(await integrations.list_all(session, None, None))
    budget = runtime.settings.ai_assistant_catalogue_chars
    context = (
        f"Node types:\n{ai_catalogue.catalogue(data.description, budget)}\n\n"
        f"Integrations (credentials stay on the server):\n{_integrations_text(rows)}"
    )
    ask = f"Draft this workflow:\n{data.description}"
    if current:
        shown = json.dumps(_current_for_model(current), ensure_ascii=False)[:40000]
        ask = (
            f"Change this workflow (keep the ids of nodes you keep):\n{shown}\n\n"
            f"The change:\n{data.description}\n\nAnswer with the whole changed workflow."
        )
    messages = [
        Message(role=Role.SYSTEM, content=f"{RULES}\n{context}"),
        Message(role=Role.USER, content=ask),
    ]

    async def check(answer: Any) -> tuple[dict[str, Any] | None, list[str]]:
        try:
            doc = _build(answer, current)
            valid = await documents.validate_document(session, doc)
        except InvalidInput as exc:
            return None, [_problem(e) for e in exc.errors] or [exc.message]
        return document_to_dict(valid), []

    document, attempts = await assistant.ask_json(
        AssistantTask.DRAFT, messages, DRAFT_SCHEMA, check, refused="no valid draft"
    )
    return DraftOut(document=document, attempts=attempts)


def _problem(error: Any) -> str:
    where = f" (node {error.node_id!r})" if error.node_id else ""
    return f"{error.field}: {error.message}{where}"

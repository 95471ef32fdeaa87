#!/usr/bin/env python3
"""Write the reference of the built-in integration types (credentials, actions with their
parameters, triggers) into docs/integrations.md, between the markers
``<!-- reference:start -->`` and ``<!-- reference:end -->``, from their declarations.

    PYTHONPATH=src .venv/bin/python scripts/gen-integrations-docs.py

tests/integrations/test_docs_reference.py fails while the committed reference is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "integrations.md"
START, END = "<!-- reference:start -->", "<!-- reference:end -->"


def _type_of(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "anyOf" in schema:
        kinds = [_type_of(s) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(kinds)
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    if kind == "object":
        return "object"
    return str(kind)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _params_table(model: Any) -> list[str]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    lines = ["| parameter | type | required | default | description |", "|---|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        default = prop.get("default")
        shown = "" if default is None or name in required else f"`{json.dumps(default)}`"
        lines.append(
            f"| `{name}` | {_type_of(prop)} | {'yes' if name in required else ''} | {shown} "
            f"| {_cell(prop.get('description', ''))} |"
        )
    return lines


def _definition(d: Any) -> list[str]:
    out = [f"### {d.display_name} (`{d.name}`)", "", f"{d.description}. API docs: <{d.docs}>.", ""]
    out += [f"**Credentials** ({d.auth.description}):", ""]
    out += ["| field | type | required | default | description |", "|---|---|---|---|---|"]
    for p in d.credential_parameters():
        default = "" if p["default"] is None else f"`{json.dumps(p['default'])}`"
        out.append(
            f"| `{p['name']}` | {p['type']} | {'yes' if p['required'] else ''} | {default} "
            f"| {_cell(p['description'])} |"
        )
    out.append("")
    for action in d.actions.values():
        out += [f"#### `{action.node_type}`", "", f"{action.description}.", ""]
        if action.idempotency_header:
            out += [f"Sends the step's idempotency key in `{action.idempotency_header}`.", ""]
        out += [*_params_table(action.params), ""]
    for trigger in d.triggers.values():
        kind = "webhook trigger" if hasattr(trigger, "signature_header") else "polling trigger"
        out += [f"#### `{trigger.node_type}` ({kind})", "", f"{trigger.description}.", ""]
        if hasattr(trigger, "scheme"):
            out += [
                f"Signature scheme `{trigger.scheme.value}` in `{trigger.signature_header}`, "
                f"keyed by the credential `{trigger.secret_field}`.",
                "",
            ]
        doc = (trigger.params.__doc__ or "").strip()
        if doc:
            out += [" ".join(doc.split()), ""]
        out += [*_params_table(trigger.params), ""]
    return out


def render_reference() -> str:
    from wirework.sdk.registry import registry

    lines: list[str] = []
    for d in registry.definitions():
        if d.module.startswith("wirework."):  # this package's, not other installed plugins'
            lines += _definition(d)
    return "\n".join(lines).rstrip() + "\n"


def render(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n\n{render_reference()}\n{END}{tail}"


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)

"""What the AI assistant tells a model about this instance: a compact catalogue of the node
types (each with its params in one line, cut to a character budget: the types least
related to the request keep only their name and purpose), the integrations by id, name and
type (never a credential), and params with their secret fields masked."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from wirework.sdk.registry import NodeSpec, registry

MASK = "***"
SECRET_NAME = re.compile(
    r"(^|[_-])(pass(word|wd)?|secrets?|(access|refresh|auth|bearer|api)?[_-]?token|"
    r"api[_-]?key|authori[sz]ation|private[_-]?key|credentials?)($|[_-])",
    re.I,
)
MAX_PROPS = 16
MAX_ENUM = 8


def _first_sentence(text: str, limit: int = 140) -> str:
    line = " ".join(text.split())
    cut = re.split(r"(?<=[.!?])\s", line, maxsplit=1)[0]
    return cut if len(cut) <= limit else cut[: limit - 1] + "…"


def _deref(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        found = root.get("$defs", {}).get(ref.rsplit("/", 1)[1])
        if isinstance(found, Mapping):
            return found
    return schema


def _type_of(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> str:
    s = _deref(schema, root)
    if "enum" in s:
        values = [str(v) for v in s["enum"][:MAX_ENUM]]
        return "|".join(values) + ("|…" if len(s["enum"]) > MAX_ENUM else "")
    if "const" in s:
        return repr(s["const"])
    branches = s.get("anyOf") or s.get("oneOf")
    if branches:
        kinds = [_type_of(b, root, depth) for b in branches if b.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds)) or "null"
    kind = s.get("type", "any")
    if kind == "array" and isinstance(s.get("items"), Mapping) and depth < 2:
        return f"list[{_type_of(s['items'], root, depth + 1)}]"
    if kind == "object" and s.get("properties") and depth < 1:
        inner = ", ".join(
            _prop(n, p, s.get("required", []), root, depth + 1)
            for n, p in list(s["properties"].items())[:MAX_PROPS]
        )
        return "{" + inner + "}"
    return str(kind)


def _prop(
    name: str,
    schema: Mapping[str, Any],
    required: Iterable[str],
    root: Mapping[str, Any],
    depth: int,
) -> str:
    mark = "*" if name in required else ""
    return f"{name}{mark}: {_type_of(schema, root, depth)}"


def params_line(schema: Mapping[str, Any]) -> str:
    """A params JSON Schema in one line: ``url*: string, method: GET|POST, …`` (* required)."""
    props = list((schema.get("properties") or {}).items())
    required = schema.get("required", [])
    parts = [_prop(n, p, required, schema, 0) for n, p in props[:MAX_PROPS]]
    if len(props) > MAX_PROPS:
        parts.append(f"… {len(props) - MAX_PROPS} more")
    return ", ".join(parts)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


# (type, params model) → its params line: the schemas of a process's node types do not change,
# and building them is the slow part.
_LINES: dict[tuple[str, int], str] = {}


def _params_of(spec: NodeSpec) -> str:
    key = (spec.type, id(spec.params))
    found = _LINES.get(key)
    if found is None:
        found = _LINES[key] = params_line(spec.params.model_json_schema())
    return found


def _entry(spec: NodeSpec, detailed: bool) -> str:
    ports = ""
    if spec.outputs is None:
        ports = " outputs: named by its params"
    elif list(spec.outputs) != ["main"]:
        ports = f" outputs: {', '.join(spec.outputs)}"
    if not spec.inputs:
        ports += " (trigger)"
    head = f"- {spec.type}: {_first_sentence(spec.description)}{ports}"
    if not detailed:
        return head
    line = _params_of(spec)
    return f"{head}\n  params: {line or '(none)'}"


def catalogue(request: str, budget: int) -> str:
    """Every node type, one or two lines each, at most ``budget`` characters: the core
    types and those sharing words with ``request`` keep their params first."""
    specs = list(registry.nodes())
    wanted = _words(request)

    def rank(spec: NodeSpec) -> tuple[int, int, str]:
        words = _words(f"{spec.type} {spec.display_name} {spec.description}")
        core = spec.type.startswith("core.")
        return (0 if core else 1, -len(words & wanted), spec.type)

    detailed: set[str] = set()
    short = {s.type: _entry(s, False) for s in specs}
    if sum(len(line) + 1 for line in short.values()) > budget:
        short = {s.type: f"- {s.type}" for s in specs}  # not one line each: the names
    used = sum(len(line) + 1 for line in short.values())
    for spec in sorted(specs, key=rank):
        extra = len(_entry(spec, True)) - len(short[spec.type])
        if used + extra > budget:
            continue
        detailed.add(spec.type)
        used += extra
    lines = [
        _entry(s, True) if s.type in detailed else short[s.type]
        for s in sorted(specs, key=lambda s: s.type)
    ]
    text = "\n".join(lines)
    return text if len(text) <= budget else text[: budget - 1] + "…"


def secret_params(node_type: str) -> set[str]:
    """The top-level params of a node type that hold secrets (password fields)."""
    spec = registry.node(node_type)
    if spec is None:
        return set()
    schema = spec.params.model_json_schema()
    out = set()
    for name, prop in (schema.get("properties") or {}).items():
        p = _deref(prop, schema)
        if p.get("format") == "password" or p.get("writeOnly") or p.get("x-secret"):
            out.add(name)
    return out


def masked(value: Any, secrets: set[str] | None = None, depth: int = 0) -> Any:
    """``value`` with every secret-looking field (by the schema's ``secrets``, or by name)
    replaced by ``***``."""
    if isinstance(value, Mapping):
        named = value.get("name")
        if isinstance(named, str) and "value" in value and SECRET_NAME.search(named):
            return {**value, "value": MASK}  # a name/value pair (headers as a list)
        return {
            k: MASK
            if (depth == 0 and secrets and k in secrets) or SECRET_NAME.search(str(k))
            else masked(v, None, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [masked(v, None, depth + 1) for v in value]
    return value


def masked_params(node_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = masked(dict(params), secret_params(node_type))
    return result


def truncated(value: Any, limit: int = 2000) -> str:
    """A JSON value as text, cut to ``limit`` characters."""
    import json

    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"

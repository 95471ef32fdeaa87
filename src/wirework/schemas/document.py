"""The workflow document (DESIGN.md §2): its model, parsing from JSON/YAML text and dumping.

The model checks the *shape* of a document (field names and types). Whether it makes sense as
a graph (ids, ports, cycles, node parameters, integrations) is checked by
:mod:`wirework.services.documents`.

Conventions kept by every function here:

* problems are :class:`~wirework.errors.FieldError` with a dotted ``field`` path
  (``nodes[1].retry.max_attempts``, ``connections[2].to``) and the ``node_id`` concerned;
* :func:`document_to_dict` is the canonical, compact form: what is stored, exported and
  compared to decide whether a save makes a new version. Keys come in a fixed, human-friendly
  order and values equal to their default are left out.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from wirework.errors import FieldError, InvalidInput
from wirework.sdk.fields import MAX_ID as MAX_ID  # the largest id a document may name
from wirework.sdk.fields import PORT_PATTERN, valid_timezone

DocumentFormat = Literal["json", "yaml"]
OnError = Literal["stop", "continue", "error_output"]
SaveData = Literal["all", "errors", "none"]
SpreadBranches = Literal["off", "auto", "always"]

NODE_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$"
MAX_NODES = 2000
MAX_CONNECTIONS = 10000
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_STICKY_NOTES = 500
StickyColor = Literal["yellow", "blue", "green", "pink", "purple", "gray"]


def _compact_number(value: float) -> int | float:
    if isinstance(value, int):
        return value
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


# A number written as 30 is dumped as 30, not 30.0 (one type, so errors name the field only).
Number = Annotated[float, PlainSerializer(_compact_number)]


def _int_to_str(value: Any) -> Any:
    """YAML and JSON authors write ``id: 1`` as readily as ``id: "1"``; both mean the id "1"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _port_to_str(value: Any) -> Any:
    """YAML reads ``from_output: false`` as a boolean: it names core.if's port "false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _int_to_str(value)


class JsonProblem(ValueError):
    """A value inside free-form JSON (params, pinned data) that cannot be stored; ``path``
    says where, relative to the field being validated."""

    def __init__(self, path: list[str | int], message: str) -> None:
        self.path = path
        super().__init__(message)


MAX_JSON_DEPTH = 64


def _check_json(value: Any, path: list[str | int] | None = None) -> Any:
    """Free-form values must survive every database's JSON column: no NaN or infinities, no
    NUL characters, not absurdly deep."""
    path = path or []
    if len(path) > MAX_JSON_DEPTH:
        raise JsonProblem(path, f"is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise JsonProblem(path, "must be a finite number (not NaN or infinity)")
    if isinstance(value, str) and "\x00" in value:
        raise JsonProblem(path, "must not hold NUL characters")
    if isinstance(value, dict):
        for key, inner in value.items():
            if not isinstance(key, str):
                raise JsonProblem(path, f"keys must be strings, got {key!r}")
            if "\x00" in key:
                raise JsonProblem(path, "keys must not hold NUL characters")
            _check_json(inner, [*path, key])
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _check_json(inner, [*path, index])
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise JsonProblem(path, f"must be JSON data, got {type(value).__name__}")
    return value


JsonValue = Annotated[Any, AfterValidator(_check_json)]
IdStr = Annotated[str, BeforeValidator(_int_to_str)]
PortStr = Annotated[str, BeforeValidator(_port_to_str)]


def no_control_characters(value: str, allow: str = "") -> str:
    if any(ord(c) < 32 and c not in allow for c in value):
        raise ValueError("must not hold control characters")
    return value


class DocModel(BaseModel):
    """Base of the document's parts: unknown fields are errors that name them; types are
    strict (``disabled: "yes"`` is an error, not true)."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, strict=True, allow_inf_nan=False
    )


class Retry(DocModel):
    """Per-node retry with exponential backoff: wait ``backoff_s * 2**(attempt-1)``, capped at
    ``max_backoff_s``, randomised by ``jitter``."""

    max_attempts: int = Field(
        default=1, ge=1, le=10, description="Attempts in all, the first included (1 = no retry)"
    )
    backoff_s: Number = Field(
        default=1, ge=0, le=3600, description="Wait before the second attempt, in seconds"
    )
    max_backoff_s: Number = Field(
        default=300, ge=0, le=86400, description="Upper bound of the wait between attempts"
    )
    jitter: bool = Field(default=True, description="Randomise each wait (avoids retry storms)")


class Position(DocModel):
    """Where the editor's canvas draws the node."""

    x: Number = Field(default=0, description="Horizontal position on the canvas")
    y: Number = Field(default=0, description="Vertical position on the canvas")


class Node(DocModel):
    """One step of a workflow."""

    id: IdStr = Field(
        pattern=NODE_ID_PATTERN,
        description="Unique in the workflow; connections use it (letters, digits, _ . -)",
    )
    name: IdStr = Field(
        default="",
        max_length=200,
        description="Unique display name, used by expressions (nodes['Name']); defaults to the id",
    )
    type: str = Field(
        min_length=1,
        max_length=201,
        description="Node type: core.* or <integration type>.<action>; the seed's form "
        "`integration` (with integration_id and task) is accepted and normalised",
    )
    integration_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The integration (credentials) an action uses"
    )
    task: str | None = Field(
        default=None,
        max_length=100,
        description="With type `integration`: the action to run (normalised into the type)",
    )
    params: dict[str, JsonValue] = Field(
        default_factory=dict, description="The node type's parameters; strings may hold {{ }}"
    )
    retry: Retry | None = Field(default=None, description="Retry policy; none = one attempt")
    timeout_s: Number | None = Field(
        default=None, gt=0, le=86400, description="Time limit of one attempt, in seconds"
    )
    on_error: OnError = Field(
        default="stop",
        description="stop the execution, continue with the next nodes, or send the error "
        "as an item to the node's `error` output",
    )
    disabled: bool = Field(default=False, description="A disabled node passes its input on")
    notes: str = Field(default="", max_length=10000, description="Free text for humans")
    position: Position | None = Field(default=None, description="Position on the canvas")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if value != value.strip():
            raise ValueError("must not start or end with spaces")
        return no_control_characters(value)

    @field_validator("type", "task")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        return None if value is None else no_control_characters(value)

    @field_validator("notes")
    @classmethod
    def _notes(cls, value: str) -> str:
        return no_control_characters(value, allow="\n\r\t")

    @model_validator(mode="after")
    def _default_name(self) -> Node:
        if not self.name:
            self.name = self.id
        return self


class Connection(DocModel):
    """An edge: items leaving ``from``'s output ``from_output`` enter ``to``'s ``to_input``."""

    from_: IdStr = Field(alias="from", min_length=1, max_length=200, description="Source node id")
    from_output: PortStr = Field(
        default="main", pattern=PORT_PATTERN, description="Output port of the source node"
    )
    to: IdStr = Field(min_length=1, max_length=200, description="Target node id")
    to_input: PortStr = Field(
        default="main",
        pattern=PORT_PATTERN,
        description="Input port of the target node; left out (or main) into a node without "
        "a main input, such as core.merge, the next free input (in1, in2, …)",
    )


class WorkflowSettings(DocModel):
    """Settings of the whole workflow."""

    timeout_s: Number | None = Field(
        default=None, gt=0, le=30 * 86400, description="Time limit of one execution, in seconds"
    )
    concurrency: int | None = Field(
        default=None, ge=1, le=10000, description="At most this many executions at once"
    )
    error_workflow: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Workflow run (by its error trigger) when one fails",
    )
    save_data: SaveData = Field(
        default="all", description="Which executions keep their items: all, errors, none"
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA time zone for schedules and `now`"
    )
    spread: SpreadBranches | None = Field(
        default=None,
        description=(
            "Distributed mode: run a fork's branches on other workers too (off, auto, "
            "always; unset: the cluster's WIREWORK_SPREAD_BRANCHES)"
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return valid_timezone(value)


def clean_tag(value: str) -> str:
    """One tag: trimmed, 1-40 characters, no control characters."""
    tag = value.strip()
    if not tag:
        raise ValueError("must not be blank")
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"must be at most {MAX_TAG_LENGTH} characters")
    return no_control_characters(tag)


def _dedupe_tags(tags: list[str]) -> list[str]:
    """Case-insensitive duplicates removed, the first spelling kept."""
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        key = tag.casefold()
        if key not in seen:
            seen.add(key)
            out.append(tag)
    return out


Tag = Annotated[str, AfterValidator(clean_tag)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_dedupe_tags)]


class StickyNote(DocModel):
    """A note on the editor's canvas (markdown); the engine ignores it."""

    id: IdStr = Field(
        pattern=NODE_ID_PATTERN,
        description="Unique among the notes (letters, digits, _ . -)",
    )
    text: str = Field(default="", max_length=10000, description="Markdown text")
    position: Position = Field(default_factory=Position, description="Position on the canvas")
    width: Number = Field(default=240, ge=40, le=4000, description="Width on the canvas")
    height: Number = Field(default=160, ge=40, le=4000, description="Height on the canvas")
    color: StickyColor = Field(default="yellow", description="Background colour")

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return no_control_characters(value, allow="\n\r\t")


# Unique note ids are checked with the document (services.documents), naming the note.
StickyNotes = Annotated[list[StickyNote], Field(max_length=MAX_STICKY_NOTES)]


class WorkflowDocument(DocModel):
    """A workflow: nodes joined by connections, plus settings."""

    name: str = Field(min_length=1, max_length=200, description="The workflow's name")
    description: str = Field(default="", max_length=10000, description="What it is for")
    tags: Tags = Field(
        default_factory=list,
        description=f"Labels to find it by (at most {MAX_TAGS}, each 1-{MAX_TAG_LENGTH} "
        "characters; case-insensitive duplicates dropped)",
    )
    nodes: list[Node] = Field(max_length=MAX_NODES, description="The steps")
    connections: list[Connection] = Field(
        default_factory=list, max_length=MAX_CONNECTIONS, description="The edges between steps"
    )
    settings: WorkflowSettings = Field(
        default_factory=WorkflowSettings, description="Settings of the whole workflow"
    )
    pinned_data: dict[str, list[dict[str, JsonValue]]] | None = Field(
        default=None,
        description="Node id → items used instead of running the node in editor test runs",
    )
    sticky_notes: StickyNotes = Field(
        default_factory=list,
        description=f"Notes on the canvas (at most {MAX_STICKY_NOTES}); the engine ignores them",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return no_control_characters(value)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return no_control_characters(value, allow="\n\r\t")


# --------------------------------------------------------------------------- errors


def loc_to_field(loc: Sequence[Any]) -> str:
    """A pydantic error location as a field path: ``("nodes", 1, "params")`` →
    ``nodes[1].params``."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


_ALIASES = {"from_": "from"}


# pydantic's names for validation steps in an error location (function-after[...], union
# members such as list[str], tagged-union[...]): not fields of the data.
_STEP_NAME = re.compile(r"^(function-[a-z]+|[a-z][a-z0-9_-]*\[.*\]|[a-z-]*union)")


def _data_path(loc: Sequence[Any], raw: Any) -> list[Any]:
    """An error location as a path in the data: aliases resolved and pydantic's step names
    dropped, but a key the data really has is always kept, whatever it looks like (``"["``)."""
    out: list[Any] = []
    node = raw
    for part in loc:
        key = _ALIASES.get(part, part) if isinstance(part, str) else part
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(part, str) and _STEP_NAME.match(part):
            continue
        else:
            node = None
        out.append(key)
    return out


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model that validates the object at ``loc`` (for "did you mean" hints)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None
        info = next(
            (f for n, f in model.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if info is None:
            return None
        model = _submodel(info.annotation)
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _node_id_at(raw: Any, loc: Sequence[Any]) -> str | None:
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int) and isinstance(raw, dict):
        nodes = raw.get("nodes")
        if isinstance(nodes, list) and 0 <= loc[1] < len(nodes) and isinstance(nodes[loc[1]], dict):
            node_id = nodes[loc[1]].get("id")
            if isinstance(node_id, str | int) and not isinstance(node_id, bool):
                return str(node_id)
    return None


def errors_from_pydantic(
    errors: Sequence[Mapping[str, Any]],
    raw: Any = None,
    *,
    prefix: str = "",
    model: type[BaseModel] | None = None,
) -> list[FieldError]:
    """Turn pydantic's errors into FieldErrors with our paths, messages and node ids.

    ``raw`` is the data that was validated (to name the node an error is about); ``prefix``
    is put before every path (e.g. ``nodes[1].params``); ``model`` is the model that was
    validated (default: the document), for "did you mean" hints on unknown fields."""
    root = model if model is not None else WorkflowDocument
    out: list[FieldError] = []
    for err in errors:
        loc = _data_path(err.get("loc", ()), raw)
        kind = err.get("type", "")
        message = str(err.get("msg", "invalid"))
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, JsonProblem):
            loc += problem.path
        if kind == "extra_forbidden":
            message = "unknown field"
            at = _model_at(root, loc[:-1])
            if at is not None:
                names = _field_names(at)
                close = difflib.get_close_matches(str(loc[-1]), names, n=1)
                if close:
                    message += f" (did you mean {close[0]!r}?)"
                else:
                    message += f" (allowed: {', '.join(names) or 'none'})"
        elif kind == "missing":
            message = "is required"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
            message = "must be 1-200 letters, digits, _ . or - (not starting with . or -)"
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        field = loc_to_field(loc)
        if prefix:
            field = f"{prefix}.{field}" if field and not field.startswith("[") else prefix + field
        out.append(FieldError(field or "document", message, _node_id_at(raw, loc)))
    return out


def validate_document_data(data: Any) -> WorkflowDocument:
    """Build the model from parsed data; raises InvalidInput naming every bad field."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        raise InvalidInput.one("document", f"must be an object (a mapping), got {kind}")
    try:
        return WorkflowDocument.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(errors_from_pydantic(exc.errors(), data)) from None


# --------------------------------------------------------------------------- parsing


class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases (no "billion laughs"), without implicit timestamps (an ISO
    time stays the string it was written as) and without duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not allowed in workflow documents",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml_error(exc: yaml.YAMLError) -> FieldError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        if mark is not None:
            return FieldError(
                "document",
                f"malformed YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}",
            )
        return FieldError("document", f"malformed YAML: {problem}")
    return FieldError("document", f"malformed YAML: {exc}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_text(text: str | bytes, fmt: DocumentFormat | None = None) -> Any:
    """Parse JSON or YAML text (``fmt=None``: JSON if it starts with ``{``, else YAML)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput.one("document", f"is not UTF-8 text: {exc}") from None
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    if not text.strip():
        raise InvalidInput.one("document", "is empty")
    if fmt == "json":
        try:
            return json.loads(
                text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant
            )
        except json.JSONDecodeError as exc:
            raise InvalidInput.one(
                "document",
                f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            ) from None
        except (ValueError, RecursionError) as exc:
            raise InvalidInput.one("document", f"malformed JSON: {exc}") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise InvalidInput([_yaml_error(exc)]) from None
    except RecursionError:
        raise InvalidInput.one("document", "malformed YAML: nested too deeply") from None


def parse_document(text: str | bytes, fmt: DocumentFormat | None = None) -> WorkflowDocument:
    """Parse a document from JSON or YAML text; InvalidInput says what and where."""
    return validate_document_data(parse_text(text, fmt))


# --------------------------------------------------------------------------- dumping

# Keys always written, even when equal to their default: a document should read whole.
_ALWAYS = {"name", "nodes", "connections", "id", "type", "params", "from", "to"}


def _compact(model: BaseModel) -> dict[str, Any]:
    full = model.model_dump(mode="json", by_alias=True)
    lean = model.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    out: dict[str, Any] = {}
    for key, value in full.items():  # field declaration order: the human-friendly one
        if key not in lean and key not in _ALWAYS:
            continue
        attr = getattr(model, _attr_name(model, key))
        if isinstance(attr, BaseModel):
            value = _compact(attr)
            if not value and key not in _ALWAYS:
                continue
        elif isinstance(attr, list) and attr and isinstance(attr[0], BaseModel):
            value = [_compact(v) for v in attr]
        out[key] = value
    return out


def _attr_name(model: BaseModel, key: str) -> str:
    for name, info in type(model).model_fields.items():
        if (info.alias or name) == key:
            return name
    return key


def document_to_dict(doc: WorkflowDocument) -> dict[str, Any]:
    """The canonical, compact form of a document (JSON-ready; defaults left out)."""
    return _compact(doc)


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Multi-line text (code, templates) as a literal block; the emitter falls back to a
    # quoted scalar by itself when a block cannot represent the string exactly.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def dump_data(data: Any, fmt: DocumentFormat) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def dump_document(doc: WorkflowDocument | Mapping[str, Any], fmt: DocumentFormat = "yaml") -> str:
    """The document as JSON or YAML text, keys in a stable order (see :func:`document_to_dict`)."""
    data = document_to_dict(doc) if isinstance(doc, WorkflowDocument) else dict(doc)
    return dump_data(data, fmt)

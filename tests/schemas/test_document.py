"""The workflow document model: shape, parsing (JSON/YAML) and the canonical dump."""

from __future__ import annotations

import json

import pytest
import yaml

from wirework.errors import FieldError, InvalidInput
from wirework.schemas.document import (
    WorkflowDocument,
    document_to_dict,
    dump_document,
    parse_document,
    validate_document_data,
)

SEED = """
name: Bug report
nodes:
  - id: hook                  # unique in the workflow; connections use it
    name: Incoming bug
    type: core.webhook
    params: {path: bugs, method: POST, respond: last_node}
  - id: "1"
    type: integration
    integration_id: 1
    task: create_issue
    params: {project: BUG, summary: "{{ json.body.title }}"}
    retry: {max_attempts: 3, backoff_s: 1}
    timeout_s: 30
    on_error: stop
connections:
  - {from: hook, to: "1"}
  - {from: check, from_output: "false", to: notify}
settings: {timeout_s: 600, concurrency: 10, error_workflow: null, save_data: all}
"""


def errors_of(text: str, fmt: str | None = None) -> list[FieldError]:
    with pytest.raises(InvalidInput) as info:
        parse_document(text, fmt)  # type: ignore[arg-type]
    return info.value.errors


def test_seed_document_parses() -> None:
    doc = parse_document(SEED)
    assert [n.id for n in doc.nodes] == ["hook", "1"]
    assert doc.nodes[0].name == "Incoming bug"
    assert doc.nodes[1].name == "1"  # defaults to the id
    assert doc.nodes[1].retry is not None and doc.nodes[1].retry.max_attempts == 3
    assert doc.connections[0].from_ == "hook" and doc.connections[0].from_output == "main"
    assert doc.connections[1].to_input == "main"
    assert doc.settings.concurrency == 10 and doc.settings.save_data == "all"


def test_ints_and_yaml_booleans_become_names() -> None:
    doc = parse_document(
        "name: x\nnodes: [{id: 1, type: core.if}, {id: 2, type: core.noop}]\n"
        "connections: [{from: 1, from_output: false, to: 2}]\n"
    )
    assert doc.nodes[0].id == "1"
    assert doc.connections[0].from_ == "1" and doc.connections[0].from_output == "false"


def test_unknown_fields_are_named_with_a_hint() -> None:
    errors = errors_of(
        "name: x\nsurprise: 1\nnodes: [{id: a, type: core.noop, prams: {}}]\n"
        "connections: [{from: a, to: b, form_output: x}]\n"
    )
    by_field = {e.field: e for e in errors}
    assert "surprise" in by_field and "unknown field" in by_field["surprise"].message
    assert by_field["nodes[0].prams"].node_id == "a"
    assert "did you mean 'params'" in by_field["nodes[0].prams"].message
    assert "did you mean 'from_output'" in by_field["connections[0].form_output"].message


@pytest.mark.parametrize(
    ("text", "field", "needle"),
    [
        ("nodes: []", "name", "required"),
        ("name: x", "nodes", "required"),
        ("name: x\nnodes: [{id: 'a b', type: t}]", "nodes[0].id", "letters"),
        ("name: x\nnodes: [{id: a, type: t, on_error: explode}]", "nodes[0].on_error", "stop"),
        (
            "name: x\nnodes: [{id: a, type: t, retry: {max_attempts: 11}}]",
            "nodes[0].retry.max_attempts",
            "10",
        ),
        ("name: x\nnodes: [{id: a, type: t, timeout_s: -1}]", "nodes[0].timeout_s", "greater"),
        ("name: x\nnodes: []\nsettings: {save_data: some}", "settings.save_data", "all"),
        ("name: x\nnodes: []\nsettings: {timezone: Mars/Base}", "settings.timezone", "Mars"),
        ("name: x\nnodes: [{id: a, type: t, position: {x: 1, z: 2}}]", "nodes[0].position.z", ""),
        ("name: '  '\nnodes: []", "name", "blank"),
        ("name: x\nnodes: [{id: a, type: t, name: ' a'}]", "nodes[0].name", "spaces"),
    ],
)
def test_shape_errors_name_the_field(text: str, field: str, needle: str) -> None:
    errors = errors_of(text)
    matching = [e for e in errors if e.field == field]
    assert matching, errors
    assert needle in matching[0].message


def test_malformed_yaml_says_where() -> None:
    (error,) = errors_of("name: x\nnodes: [\n  {id: a\n")
    assert error.field == "document"
    assert "malformed YAML at line" in error.message and "column" in error.message


def test_malformed_json_says_where() -> None:
    (error,) = errors_of('{"name": "x",\n "nodes": [,]}')
    assert "malformed JSON at line 2, column" in error.message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: &x 1\nb: *x\n", "aliases"),
        ("name: x\nname: y\n", "duplicate key 'name'"),
        ('{"name": "x", "name": "y"}', "duplicate key 'name'"),
        ("- 1\n- 2\n", "must be an object"),
        ("   \n", "empty"),
        ("!!python/object:os.system {}\n", "malformed YAML"),
    ],
)
def test_unsafe_or_odd_text_is_refused(text: str, needle: str) -> None:
    (error,) = errors_of(text)
    assert needle in error.message


def test_not_utf8() -> None:
    (error,) = errors_of(b"name: \xff\xfe".decode("latin-1").encode("utf-16"))  # type: ignore[arg-type]
    assert error.field == "document"


def test_iso_times_stay_strings() -> None:
    doc = parse_document(
        "name: x\nnodes: [{id: w, type: core.wait, params: {until: 2030-01-01T09:00:00Z}}]"
    )
    assert doc.nodes[0].params["until"] == "2030-01-01T09:00:00Z"


def test_canonical_dict_is_compact_and_ordered() -> None:
    doc = parse_document(SEED)
    data = document_to_dict(doc)
    assert list(data) == ["name", "nodes", "connections", "settings"]
    assert list(data["nodes"][1]) == [
        "id",
        "name",
        "type",
        "integration_id",
        "task",
        "params",
        "retry",
        "timeout_s",
    ]
    assert data["nodes"][1]["retry"] == {"max_attempts": 3}  # backoff_s 1 is the default
    assert data["connections"][0] == {"from": "hook", "to": "1"}
    assert data["settings"] == {"timeout_s": 600, "concurrency": 10}
    assert isinstance(data["settings"]["timeout_s"], int)  # 600 stays 600, not 600.0


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_dump_round_trip(fmt: str) -> None:
    doc = parse_document(SEED)
    doc.nodes[0].notes = "line one\nline two\n"
    text = dump_document(doc, fmt)  # type: ignore[arg-type]
    again = parse_document(text, fmt)  # type: ignore[arg-type]
    assert again == doc
    assert dump_document(again, fmt) == text  # stable  # type: ignore[arg-type]
    if fmt == "yaml":
        assert "notes: |" in text  # multi-line text as a block
        assert yaml.safe_load(text)["connections"][0] == {"from": "hook", "to": "1"}
    else:
        assert json.loads(text)["nodes"][0]["id"] == "hook"


def test_parse_picks_the_format() -> None:
    as_json = json.dumps({"name": "j", "nodes": [{"id": "a", "type": "core.noop"}]})
    assert parse_document(as_json).name == "j"
    assert parse_document("name: y\nnodes: [{id: a, type: core.noop}]").name == "y"


def test_validate_document_data_refuses_non_objects() -> None:
    with pytest.raises(InvalidInput) as info:
        validate_document_data([1, 2])
    assert "must be an object" in info.value.errors[0].message


def test_json_schema_documents_every_field() -> None:
    schema = WorkflowDocument.model_json_schema()
    for name, definition in [("WorkflowDocument", schema), *schema["$defs"].items()]:
        for prop, spec in definition.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{prop} has no description"


def test_values_every_database_can_store() -> None:
    data = {
        "name": "x",
        "nodes": [
            {
                "id": "a",
                "type": "t",
                "params": {"f": {"deep": [1, float("nan")]}},
                "position": {"x": float("inf")},
            },
            {"id": "b", "type": "t", "params": {"s": "x\x00y"}, "notes": "bell\x07"},
        ],
        "pinned_data": {"a": [{"n": float("-inf")}]},
    }
    with pytest.raises(InvalidInput) as info:
        validate_document_data(data)
    by_field = {e.field: e for e in info.value.errors}
    assert "finite" in by_field["nodes[0].params.f.deep[1]"].message
    assert by_field["nodes[0].params.f.deep[1]"].node_id == "a"
    assert "finite" in by_field["nodes[0].position.x"].message
    assert "NUL" in by_field["nodes[1].params.s"].message
    assert "control" in by_field["nodes[1].notes"].message
    assert "finite" in by_field["pinned_data.a[0].n"].message


@pytest.mark.parametrize("key", ["[", "]", "list[str]", "function-after[x]", "tagged-union[a]"])
def test_unknown_keys_that_look_like_pydantic_step_names_are_named(key: str) -> None:
    """A key of the user's is a field, whatever it looks like (a fuzz-found 500)."""
    with pytest.raises(InvalidInput) as caught:
        validate_document_data({"name": "x", "nodes": [{"id": "a", "type": "core.noop"}], key: 1})
    assert [e.field for e in caught.value.errors] == [key]
    assert caught.value.errors[0].message.startswith("unknown field")

"""Validating documents: structure without a database, then references with one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.errors import FieldError, InvalidInput
from wirework.schemas.document import WorkflowDocument, document_to_dict, validate_document_data
from wirework.schemas.integration_types import IntegrationTypeCreate
from wirework.schemas.integrations import IntegrationCreate
from wirework.sdk.registry import registry
from wirework.services import integration_types, integrations
from wirework.services import workflows as workflow_service
from wirework.services.document_ports import assign_inputs
from wirework.services.documents import check_document, check_expressions, validate_document
from wirework.services.runtime import Runtime

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


def doc(
    nodes: list[dict[str, Any]], connections: list[dict[str, Any]] | None = None, **extra: Any
) -> WorkflowDocument:
    return validate_document_data(
        {"name": "t", "nodes": nodes, "connections": connections or [], **extra}
    )


def node(id_: str, type_: str = "core.noop", **params: Any) -> dict[str, Any]:
    return {"id": id_, "type": type_, "params": params}


def find(errors: list[FieldError], field: str) -> FieldError:
    for error in errors:
        if error.field == field:
            return error
    raise AssertionError(f"no error for {field}: {errors}")


# --------------------------------------------------------------------------- pure


def test_valid_graph_has_no_errors() -> None:
    d = doc(
        [
            node("start", "core.manual"),
            node("check", "core.if", condition="{{ json.ok }}"),
            node("yes"),
            node("no"),
            node("join", "core.merge"),
        ],
        [
            {"from": "start", "to": "check"},
            {"from": "check", "from_output": "true", "to": "yes"},
            {"from": "check", "from_output": "false", "to": "no"},
            {"from": "yes", "to": "join", "to_input": "in1"},
            {"from": "no", "to": "join", "to_input": "in2"},
        ],
    )
    assert check_document(d) == []


def test_needs_a_node() -> None:
    assert find(check_document(doc([])), "nodes").message.startswith("a workflow needs")


def test_duplicate_ids_and_names() -> None:
    errors = check_document(
        doc(
            [
                node("a"),
                node("a"),
                {"id": "b", "name": "Same", "type": "core.noop"},
                {"id": "c", "name": "Same", "type": "core.noop"},
            ]
        )
    )
    dup = find(errors, "nodes[1].id")
    assert "duplicate node id 'a'" in dup.message and dup.node_id == "a"
    name = find(errors, "nodes[3].name")
    assert "duplicate node name 'Same'" in name.message and name.node_id == "c"


def test_connections_to_unknown_nodes_name_index_and_end() -> None:
    errors = check_document(
        doc(
            [node("alpha"), node("beta")],
            [{"from": "alpha", "to": "beta"}, {"from": "alpah", "to": "gamma"}],
        )
    )
    assert "unknown node 'alpah'" in find(errors, "connections[1].from").message
    assert "did you mean 'alpha'" in find(errors, "connections[1].from").message
    assert "unknown node 'gamma'" in find(errors, "connections[1].to").message
    assert not [e for e in errors if e.field.startswith("connections[0]")]


def test_unknown_ports() -> None:
    errors = check_document(
        doc(
            [
                node("if", "core.if", condition=True),
                node(
                    "sw",
                    "core.switch",
                    rules=[{"output": "big", "condition": True}],
                    fallback="rest",
                ),
                node("m", "core.merge", inputs=3),
                node("x"),
                node("stop", "core.stop_error"),
            ],
            [
                {"from": "if", "from_output": "maybe", "to": "x"},
                {"from": "sw", "from_output": "big", "to": "m", "to_input": "in3"},
                {"from": "sw", "from_output": "rest", "to": "m", "to_input": "main"},
                {"from": "sw", "from_output": "small", "to": "x", "to_input": "side"},
                {"from": "if", "from_output": "error", "to": "m", "to_input": "in1"},
                {"from": "stop", "to": "m", "to_input": "in2"},
            ],
        )
    )
    first = find(errors, "connections[0].from_output")
    assert "no output 'maybe' (outputs: true, false)" in first.message and first.node_id == "if"
    # `main` into a merge takes its next free input (in4, growing `inputs`): no error.
    assert not [e for e in errors if e.field.startswith("connections[2]")]
    assert "(outputs: big, rest)" in find(errors, "connections[3].from_output").message
    assert "no input 'side'" in find(errors, "connections[3].to_input").message
    assert "on_error: error_output" in find(errors, "connections[4].from_output").message
    assert "has no outputs" in find(errors, "connections[5].from_output").message
    assert not [e for e in errors if e.field.startswith("connections[1]")]


def _merge_doc(connections: list[dict[str, Any]], **merge_params: Any) -> WorkflowDocument:
    return doc(
        [
            node("start", "core.manual"),
            node("a"),
            node("b"),
            node("c"),
            node("m", "core.merge", **merge_params),
        ],
        [
            {"from": "start", "to": "a"},
            {"from": "start", "to": "b"},
            {"from": "start", "to": "c"},
            *connections,
        ],
    )


@pytest.mark.parametrize(
    ("connections", "params", "inputs", "count"),
    [
        # The seed's hand-written form: no to_input at all.
        ([{"from": "a", "to": "m"}, {"from": "b", "to": "m"}], {}, ["in1", "in2"], None),
        # More connections than the default two inputs: the merge grows.
        (
            [{"from": "a", "to": "m"}, {"from": "b", "to": "m"}, {"from": "c", "to": "m"}],
            {"mode": "append"},
            ["in1", "in2", "in3"],
            3,
        ),
        # Named inputs are kept; the others take the free ones around them.
        (
            [{"from": "a", "to": "m"}, {"from": "b", "to": "m", "to_input": "in1"}],
            {},
            ["in2", "in1"],
            None,
        ),
        (
            [{"from": "a", "to": "m", "to_input": "in3"}, {"from": "b", "to": "m"}],
            {},
            ["in3", "in1"],
            3,
        ),
        # `main` (what an editor writes by default) is no input of a merge: the same rule.
        (
            [{"from": "a", "to": "m", "to_input": "main"}, {"from": "b", "to": "m"}],
            {"inputs": 2},
            ["in1", "in2"],
            2,
        ),
    ],
)
def test_merge_inputs_left_out_take_the_next_free_one(
    connections: list[dict[str, Any]],
    params: dict[str, Any],
    inputs: list[str],
    count: int | None,
) -> None:
    d = _merge_doc(connections, **params)
    assert check_document(d) == []
    normalised = document_to_dict(assign_inputs(d))
    assert [c["to_input"] for c in normalised["connections"][3:]] == inputs
    merge = normalised["nodes"][4]
    assert merge["params"].get("inputs") == count
    # Normalising again changes nothing.
    assert document_to_dict(assign_inputs(validate_document_data(normalised))) == normalised


def test_merge_inputs_beyond_the_maximum_name_the_parameter() -> None:
    nodes = [node("start", "core.manual"), node("m", "core.merge")]
    connections = []
    for i in range(11):
        nodes.append(node(f"n{i}"))
        connections += [{"from": "start", "to": f"n{i}"}, {"from": f"n{i}", "to": "m"}]
    errors = check_document(doc(nodes, connections))
    assert find(errors, "nodes[1].params.inputs").node_id == "m"


async def test_merge_inputs_are_stored_named(session: AsyncSession) -> None:
    d = _merge_doc([{"from": "a", "to": "m"}, {"from": "b", "to": "m"}, {"from": "c", "to": "m"}])
    stored = document_to_dict(await validate_document(session, d.model_dump(by_alias=True)))
    assert [c.get("to_input") for c in stored["connections"][3:]] == ["in1", "in2", "in3"]
    assert stored["nodes"][4]["params"] == {"inputs": 3}


def test_error_output_port() -> None:
    d = doc(
        [
            {**node("h", "core.http_request", url="https://x"), "on_error": "error_output"},
            node("log"),
        ],
        [{"from": "h", "from_output": "error", "to": "log"}],
    )
    assert check_document(d) == []


def test_cycles_name_their_nodes() -> None:
    errors = check_document(
        doc(
            [node("a"), node("b"), node("c"), node("d")],
            [
                {"from": "a", "to": "b"},
                {"from": "b", "to": "c"},
                {"from": "c", "to": "a"},
                {"from": "d", "to": "d"},
            ],
        )
    )
    cycles = [e for e in errors if "cycle" in e.message]
    assert len(cycles) == 2
    assert "'a' → 'b' → 'c' → 'a'" in cycles[0].message and cycles[0].field == "connections[2]"
    assert "'d' → 'd'" in cycles[1].message and cycles[1].node_id == "d"


def test_triggers_have_no_inputs() -> None:
    errors = check_document(
        doc([node("x"), node("hook", "core.webhook", path="p")], [{"from": "x", "to": "hook"}])
    )
    error = find(errors, "connections[0].to")
    assert "is a trigger" in error.message and error.node_id == "hook"


def test_duplicate_connections_and_webhooks() -> None:
    errors = check_document(
        doc(
            [node("a", "core.webhook", path="p"), node("b", "core.webhook", path="/p/"), node("c")],
            [{"from": "a", "to": "c"}, {"from": "a", "to": "c"}],
        )
    )
    assert "duplicates connections[0]" in find(errors, "connections[1]").message
    assert "already listens to POST /p" in find(errors, "nodes[1].params.path").message


def test_params_are_checked_and_expressions_exempt() -> None:
    errors = check_document(
        doc(
            [
                node(
                    "h",
                    "core.http_request",
                    url="https://x",
                    timeout_s="{{ json.t }}",
                    method="{{ json.m }}",
                    surprise=1,
                    response="xml",
                ),
                node("s", "core.set", fields={}, keep_input="yes"),
                node("w", "core.wait", seconds="{{ json.s }}"),
                node("m", "core.merge", inputs="{{ 3 }}"),
                node("t", "core.transform", operation="sort", max_items=2),
            ]
        )
    )
    fields = {e.field for e in errors}
    assert "nodes[0].params.timeout_s" not in fields and "nodes[0].params.method" not in fields
    assert "unknown field" in find(errors, "nodes[0].params.surprise").message
    assert find(errors, "nodes[0].params.response").node_id == "h"
    assert "nodes[1].params.keep_input" in fields
    assert not [f for f in fields if f.startswith("nodes[2]")]
    assert "literal" in find(errors, "nodes[3].params.inputs").message
    assert "required for operation sort" in find(errors, "nodes[4].params.sort_by").message
    assert "only for operation limit" in find(errors, "nodes[4].params.max_items").message


def test_seed_form_fields() -> None:
    errors = check_document(
        doc(
            [
                {"id": "a", "type": "integration"},
                {"id": "b", "type": "core.noop", "task": "x"},
                {"id": "c", "type": "core.set", "integration_id": 3},
            ]
        )
    )
    assert "required with type: integration" in find(errors, "nodes[0].integration_id").message
    assert "required with type: integration" in find(errors, "nodes[0].task").message
    assert "only used with type: integration" in find(errors, "nodes[1].task").message
    assert "only for integration actions" in find(errors, "nodes[2].integration_id").message


def test_unknown_core_type_suggests() -> None:
    error = find(check_document(doc([node("x", "core.webhok")])), "nodes[0].type")
    assert "did you mean 'core.webhook'" in error.message and error.node_id == "x"


def test_pinned_data_names_nodes() -> None:
    errors = check_document(doc([node("a")], pinned_data={"a": [{}], "zz": [{}]}))
    assert [e.field for e in errors] == ["pinned_data.zz"]


def test_expression_syntax_checker_is_used_when_given() -> None:
    def checker(text: str, path: str) -> list[tuple[str, str]]:
        return [(path, "unbalanced")] if text.count("{{") != text.count("}}") else []

    errors = check_expressions(
        {"a": "{{ ok }}", "b": {"c": ["{{ broken"]}, "code": "{{ x"},
        prefix="nodes[0].params",
        node_id="n",
        skip={"code"},
        checker=checker,
    )
    assert [(e.field, e.message, e.node_id) for e in errors] == [
        ("nodes[0].params.b.c[0]", "unbalanced", "n")
    ]


# --------------------------------------------------------------------------- with the DB

JIRA = IntegrationTypeCreate.model_validate(
    {
        "name": "tracker",
        "parameters": [
            {"name": "base_url", "type": "string", "required": True},
            {"name": "api_token", "type": "password", "required": True},
        ],
        "actions": [
            {
                "name": "create_issue",
                "parameters": [
                    {"name": "project", "required": True},
                    {"name": "summary", "required": True},
                    {"name": "description"},
                    {"name": "priority", "type": "select", "options": ["low", "high"]},
                    {"name": "points", "type": "number"},
                ],
            }
        ],
    }
)


async def _jira(session: AsyncSession, runtime: Runtime) -> int:
    await integration_types.create(session, JIRA)
    await integration_types.create(session, IntegrationTypeCreate(name="chatops"))
    row = await integrations.create(
        session,
        runtime.vault,
        IntegrationCreate(
            name="Jira - acme",
            type="tracker",
            credentials={"base_url": "https://acme.example", "api_token": "s3cret"},
        ),
    )
    await session.flush()
    return row.id


async def test_seed_form_is_normalised(session: AsyncSession, runtime: Runtime) -> None:
    integration_id = await _jira(session, runtime)
    d = doc(
        [
            node("hook", "core.webhook", path="bugs"),
            {
                "id": "1",
                "type": "integration",
                "integration_id": integration_id,
                "task": "create_issue",
                "params": {"project": "BUG", "summary": "{{ json.body.title }}"},
            },
        ],
        [{"from": "hook", "to": "1"}],
    )
    normalised = await validate_document(session, d)
    data = document_to_dict(normalised)
    assert data["nodes"][1]["type"] == "tracker.create_issue"
    assert data["nodes"][1]["integration_id"] == integration_id
    assert "task" not in data["nodes"][1]


async def test_action_nodes_are_checked(session: AsyncSession, runtime: Runtime) -> None:
    integration_id = await _jira(session, runtime)
    d = doc(
        [
            {
                "id": "a",
                "type": "tracker.create_issue",
                "integration_id": integration_id,
                "params": {"summary": 3, "priority": "urgent", "points": "{{ json.p }}", "x": 1},
            },
            {"id": "b", "type": "tracker.close_issue", "integration_id": integration_id},
            {"id": "c", "type": "tracker.create_issue", "params": {"project": "P", "summary": "s"}},
            {"id": "d", "type": "chatops.post", "integration_id": integration_id},
            {"id": "e", "type": "gitlab.create_issue"},
            {"id": "f", "type": "integration", "integration_id": 999999, "task": "x"},
            {"id": "g", "type": "integration", "integration_id": integration_id, "task": "nope"},
            {"id": "h", "type": "webhook"},
            node("i", "core.http_request", url="https://x", integration_id=999999),
            node("j", "core.subworkflow", workflow_id=999999),
            {
                "id": "k",
                "type": "tracker.create_issue",
                "integration_id": 999998,
                "params": {"project": "P", "summary": "s"},
            },
        ],
        settings={"error_workflow": 999999},
    )
    with pytest.raises(InvalidInput) as info:
        await validate_document(session, d)
    errors = info.value.errors
    assert find(errors, "nodes[0].params.project").message == "is required"
    assert "must be a string" in find(errors, "nodes[0].params.summary").message
    assert "must be one of" in find(errors, "nodes[0].params.priority").message
    assert "unknown field" in find(errors, "nodes[0].params.x").message
    assert "nodes[0].params.points" not in {e.field for e in errors}
    assert find(errors, "nodes[0].params.x").node_id == "a"
    assert "has no action 'close_issue'" in find(errors, "nodes[1].type").message
    assert "need an integration" in find(errors, "nodes[2].integration_id").message
    assert "is of type 'tracker', not 'chatops'" in find(errors, "nodes[3].integration_id").message
    error = find(errors, "nodes[4].type")
    assert "unknown node type 'gitlab.create_issue'" in error.message
    assert "did you mean" in error.message and error.node_id == "e"
    assert "github.create_issue" in error.message
    assert "integration 999999 not found" in find(errors, "nodes[5].integration_id").message
    assert "has no action 'nope'" in find(errors, "nodes[6].task").message
    assert "did you mean 'core.webhook'" in find(errors, "nodes[7].type").message
    assert "not found" in find(errors, "nodes[8].params.integration_id").message
    assert "workflow 999999 not found" in find(errors, "nodes[9].params.workflow_id").message
    assert "integration 999998 not found" in find(errors, "nodes[10].integration_id").message
    assert "workflow 999999 not found" in find(errors, "settings.error_workflow").message


async def _builtin(session: AsyncSession, runtime: Runtime, type_: str, **creds: Any) -> int:
    row = await integrations.create(
        session,
        runtime.vault,
        IntegrationCreate(name=f"{type_} example", type=type_, credentials=creds),
    )
    await session.flush()
    return row.id


async def test_examples_are_valid(session: AsyncSession, runtime: Runtime) -> None:
    """Every example validates with the built-in integrations it names (the seed's form
    ``type: integration`` is a Jira action in the examples)."""
    assert len(EXAMPLES) >= 3
    ids = {
        "jira": await _builtin(
            session,
            runtime,
            "jira",
            base_url="https://acme.atlassian.net",
            email="bot@acme.example",
            api_token="t0ken",
        ),
        "github": await _builtin(session, runtime, "github", token="ghp_t0ken"),
    }
    for path in EXAMPLES:
        raw = yaml.safe_load(path.read_text())
        for n in raw["nodes"]:
            service = "jira" if n.get("type") == "integration" else n.get("type", "").split(".")[0]
            definition = registry.definition(service)
            if service not in ids and definition is not None:
                # Other built-in types: an integration made with their example credentials.
                ids[service] = await _builtin(
                    session, runtime, service, **definition.example_credentials
                )
            if service in ids:
                n["integration_id"] = ids[service]
        document = validate_document_data(raw)
        assert check_document(document) == [], path.name
        await validate_document(session, document)


async def test_self_references(session: AsyncSession) -> None:
    created = await workflow_service.create(session, doc([node("start", "core.workflow_trigger")]))
    d = doc(
        [node("start", "core.manual"), node("again", "core.subworkflow", workflow_id=created.id)],
        [{"from": "start", "to": "again"}],
        settings={"error_workflow": created.id},
    )
    with pytest.raises(InvalidInput) as info:
        await validate_document(session, d, workflow_id=created.id)
    assert [e.field for e in info.value.errors] == ["settings.error_workflow"]
    assert "own error workflow" in info.value.errors[0].message


def test_expression_syntax_errors_from_the_evaluator() -> None:
    try:
        from wirework.engine.expressions import check_syntax  # noqa: F401
    except Exception:
        pytest.skip("the expression evaluator is not available")
    errors = check_document(
        doc([node("s", "core.set", fields={"ok": "{{ json.a }}", "bad": "{{ json.a + }}"})])
    )
    error = find(errors, "nodes[0].params.fields.bad")
    assert error.node_id == "s"
    assert [e.field for e in errors] == ["nodes[0].params.fields.bad"]


async def test_documents_stored_by_other_means_are_shown_leniently(session: AsyncSession) -> None:
    from wirework.db.models import Workflow, WorkflowVersion

    row = Workflow(name="raw")
    session.add(row)
    await session.flush()
    session.add(WorkflowVersion(workflow_id=row.id, version=1, document={"name": "raw"}))
    await session.flush()
    shown = await workflow_service.get(session, row.id)
    assert shown.name == "raw" and shown.nodes == [] and shown.settings.save_data == "all"
    with pytest.raises(InvalidInput) as info:
        await workflow_service.set_active(session, row.id, True)
    assert info.value.errors[0].field == "nodes"

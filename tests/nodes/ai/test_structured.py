"""``ai.structured_output``'s params: a JSON Schema written in the document is checked when
the document is saved (the editor shows the problem on the field), one an expression gives
when the node runs."""

from __future__ import annotations

from typing import Any

import pytest

import wirework.nodes.ai  # noqa: F401
from wirework.nodes.ai.common import typed
from wirework.nodes.ai.structured import StructuredParams, schema_problem
from wirework.schemas.document import validate_document_data
from wirework.sdk.node import NodeError
from wirework.services.documents import check_document

# What the editor's schema builder makes: a required string and an optional number.
BUILT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "who paid"},
        "amount": {"type": "number"},
    },
    "required": ["name"],
}


def structured(**params: Any) -> list[Any]:
    doc = validate_document_data(
        {
            "name": "t",
            "nodes": [
                {"id": "start", "type": "core.manual"},
                {
                    "id": "ask",
                    "type": "ai.structured_output",
                    "params": {"integration_id": 1, "model": "m", "prompt": "p", **params},
                },
            ],
            "connections": [{"from": "start", "to": "ask"}],
        }
    )
    return check_document(doc)


def test_the_builders_schema_is_valid() -> None:
    assert schema_problem(BUILT) is None
    assert structured(json_schema=BUILT) == []


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"type": "strnig"}, "at type:"),
        ({"type": "object", "properties": {"n": {"type": 5}}}, "at properties/n/type:"),
        ({"required": "name"}, "at required:"),
    ],
)
def test_an_invalid_schema_is_refused_on_save(schema: dict[str, Any], where: str) -> None:
    errors = structured(json_schema=schema)
    assert [(e.field, e.node_id) for e in errors] == [("nodes[1].params.json_schema", "ask")]
    assert errors[0].message.startswith(f"is not a valid JSON Schema {where}")


def test_a_schema_from_an_expression_is_checked_when_the_node_runs() -> None:
    assert structured(json_schema="{{ json.schema }}") == []
    params = {"integration_id": 1, "model": "m", "prompt": "p"}
    assert typed(StructuredParams, {**params, "json_schema": BUILT}, "ask").json_schema == BUILT
    with pytest.raises(NodeError) as caught:
        typed(StructuredParams, {**params, "json_schema": {"type": 5}}, "ask")
    # The field named as the document validator names it, no pydantic wording.
    message = str(caught.value)
    assert message.startswith("node 'ask': json_schema: is not a valid JSON Schema at type:")
    assert "Value error" not in message


def test_cross_field_problems_name_their_field_when_the_node_runs() -> None:
    with pytest.raises(NodeError) as caught:
        typed(StructuredParams, {"integration_id": 1, "model": "m", "json_schema": BUILT}, "ask")
    assert str(caught.value) == "node 'ask': prompt: give a prompt or a template"

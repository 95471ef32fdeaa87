"""Declarations of the core nodes: every type registered, documented params, port rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from wirework.nodes.data import python_syntax_error
from wirework.nodes.flow import MergeParams, SwitchParams, merge_inputs, switch_outputs
from wirework.nodes.triggers import parse_cron
from wirework.sdk.registry import registry

CORE_TYPES = {
    "core.manual": "trigger",
    "core.webhook": "trigger",
    "core.schedule": "trigger",
    "core.error_trigger": "trigger",
    "core.workflow_trigger": "trigger",
    "core.if": "flow",
    "core.switch": "flow",
    "core.merge": "flow",
    "core.filter": "flow",
    "core.loop": "flow",
    "core.wait": "flow",
    "core.subworkflow": "flow",
    "core.stop_error": "flow",
    "core.noop": "flow",
    "core.set": "data",
    "core.code": "data",
    "core.transform": "data",
    "core.http_request": "data",
    "core.respond": "data",
}


def test_every_core_type_is_registered() -> None:
    for type_, group in CORE_TYPES.items():
        spec = registry.node(type_)
        assert spec is not None, type_
        assert spec.group == group
        if group == "trigger":
            assert spec.inputs == ()
        json.dumps(spec.metadata())  # the catalogue is JSON


def _undocumented(schema: dict[str, Any], where: str) -> list[str]:
    missing: list[str] = []
    definitions = [
        (where, schema),
        *((f"{where}/{k}", v) for k, v in schema.get("$defs", {}).items()),
    ]
    for name, definition in definitions:
        for prop, spec in definition.get("properties", {}).items():
            if not spec.get("description"):
                missing.append(f"{name}.{prop}")
    return missing


def test_every_param_has_a_description() -> None:
    missing: list[str] = []
    for type_ in CORE_TYPES:
        spec = registry.node(type_)
        assert spec is not None
        missing += _undocumented(spec.params.model_json_schema(), type_)
    assert not missing


def test_code_field_is_not_an_expression() -> None:
    spec = registry.node("core.code")
    assert spec is not None
    schema = spec.params.model_json_schema()
    assert schema["properties"]["code"]["x-expressions"] is False


def params(type_: str, **values: Any) -> BaseModel:
    spec = registry.node(type_)
    assert spec is not None
    return spec.params.model_validate(values)


@pytest.mark.parametrize(
    ("type_", "values", "needle"),
    [
        ("core.webhook", {"path": "a b"}, "URL path"),
        ("core.webhook", {"path": "x", "method": "TRACE"}, "GET"),
        ("core.webhook", {"path": "x", "respond": "later"}, "immediately"),
        ("core.schedule", {}, "exactly one of cron or interval_s"),
        ("core.schedule", {"cron": "* * *"}, "5 fields"),
        ("core.schedule", {"cron": "61 * * * *"}, "out of range"),
        ("core.schedule", {"cron": "@daily", "interval_s": 60}, "exactly one"),
        ("core.schedule", {"interval_s": 60, "timezone": "UTC"}, "only for cron"),
        ("core.if", {"condition": "json.ok"}, "expression"),
        ("core.switch", {"rules": []}, "at least 1"),
        ("core.switch", {"rules": [{"output": "error", "condition": True}]}, "reserved"),
        ("core.merge", {"mode": "by_key"}, "key"),
        ("core.merge", {"inputs": 11}, "10"),
        ("core.wait", {}, "exactly one"),
        ("core.wait", {"seconds": 1, "resume": "webhook"}, "exactly one"),
        ("core.wait", {"until": "tomorrow"}, "ISO 8601"),
        ("core.subworkflow", {}, "Field required"),
        ("core.code", {"code": "return (", "mode": "per_item"}, "syntax error at line 1"),
        ("core.transform", {"operation": "limit"}, "max_items"),
        (
            "core.transform",
            {"operation": "sort", "sort_by": [{"field": "a"}], "rename": {}},
            "rename",
        ),
        ("core.http_request", {"url": "file:///etc/passwd"}, "http"),
        ("core.http_request", {"url": "/repos"}, "needs an integration_id"),
        ("core.http_request", {"url": "https://x", "body": 1, "body_type": "none"}, "body"),
        ("core.http_request", {"url": "https://x", "pagination": {"mode": "cursor"}}, "param"),
        ("core.respond", {"status": 42}, "100"),
    ],
)
def test_invalid_params(type_: str, values: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        params(type_, **values)
    assert needle in str(info.value)


@pytest.mark.parametrize(
    ("type_", "values"),
    [
        ("core.manual", {}),
        ("core.webhook", {"path": "/github/push/", "method": "POST", "respond": "respond_node"}),
        ("core.schedule", {"cron": "*/15 9-17 * jan-mar mon-fri", "timezone": "Europe/Paris"}),
        ("core.schedule", {"interval_s": 30, "missed_runs": "run_once"}),
        ("core.if", {"condition": "{{ json.ok }}"}),
        ("core.if", {"condition": True}),
        ("core.loop", {"batch_size": 50}),
        ("core.wait", {"until": "2030-01-01T09:00:00+01:00"}),
        ("core.wait", {"resume": "webhook", "resume_timeout_s": 3600}),
        ("core.subworkflow", {"workflow_id": 3, "wait": False}),
        ("core.stop_error", {"message": "nope"}),
        ("core.set", {"fields": {"a": 1}, "keep_input": False}),
        ("core.code", {"code": "await x()\nreturn [{'n': len(items)}]"}),
        ("core.transform", {"operation": "dedupe"}),
        ("core.transform", {"operation": "rename", "rename": {"a": "b"}}),
        (
            "core.transform",
            {"operation": "aggregate", "aggregations": [{"op": "count"}], "group_by": ["x"]},
        ),
        ("core.http_request", {"url": "https://api/{{ json.id }}", "integration_id": 4}),
        ("core.http_request", {"url": "/repos/{{ json.repo }}/issues", "integration_id": 4}),
        ("core.respond", {"status": 201, "body": {"ok": True}}),
    ],
)
def test_valid_params(type_: str, values: dict[str, Any]) -> None:
    params(type_, **values)


def test_switch_outputs_follow_rules_then_fallback() -> None:
    model = SwitchParams.model_validate(
        {
            "rules": [
                {"output": "big", "condition": "{{ 1 }}"},
                {"output": "small", "condition": "{{ 2 }}"},
                {"output": "big", "condition": "{{ 3 }}"},
            ],
            "fallback": "other",
        }
    )
    assert switch_outputs(model) == ("big", "small", "other")


def test_merge_inputs_are_numbered() -> None:
    assert merge_inputs(MergeParams()) == ("in1", "in2")
    assert merge_inputs(MergeParams(inputs=4)) == ("in1", "in2", "in3", "in4")


def test_cron() -> None:
    minute, hour, dom, month, dow = parse_cron("*/20 8-10 1,15 * sun,7")
    assert minute == {0, 20, 40} and hour == {8, 9, 10} and dom == {1, 15}
    assert len(month) == 12 and dow == {0}
    assert parse_cron("@hourly")[0] == {0}
    with pytest.raises(ValueError, match="backwards"):
        parse_cron("* 10-8 * * *")


def test_python_syntax_check_allows_return_and_await() -> None:
    assert python_syntax_error("return {'a': 1}") is None
    assert python_syntax_error("x = await f()\nreturn x") is None
    message = python_syntax_error("a = 1\nif a\n  pass")
    assert message is not None and "line 2" in message

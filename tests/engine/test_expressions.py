"""The expression evaluator: native types, text templates, scope, errors, caching."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from wirework.engine.expressions import (
    Compiled,
    ExpressionError,
    ExpressionLimitError,
    NodeOutput,
    NodesView,
    check_syntax,
    compile_value,
    evaluate,
    has_expression,
    make_scope,
    with_item,
)
from wirework.engine.exprlib import DateTime

NOW = datetime(2024, 5, 17, 12, 30, 0, tzinfo=UTC)
ITEM = {
    "body": {"title": "Crash on save", "labels": ["bug", "ui"], "priority": 2},
    "count": 3,
    "price": 2.5,
    "active": True,
    "nothing": None,
    "_id": "abc123",
    "items": ["from", "data"],
}


def scope(item: Any = None, **kwargs: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "items": [ITEM, {"count": 5}],
        "nodes": {"Webhook": [{"id": 1, "body": {"x": 1}}, {"id": 2}], "Empty": []},
        "trigger": {"body": {"title": "from trigger"}},
        "execution": {"id": "ex-1", "mode": "manual"},
        "workflow": {"id": "wf-1", "name": "Bug report"},
        "vars": {"team": "core", "limit": 10},
        "now": NOW,
    }
    defaults.update(kwargs)
    return make_scope(ITEM if item is None else item, **defaults)


def ev(source: Any, **kwargs: Any) -> Any:
    return evaluate(source, scope(**kwargs))


# --------------------------------------------------------------------------- native types


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ json.count }}", 3),
        ("{{ json.count + 1 }}", 4),
        ("{{ json.price * 2 }}", 5.0),
        ("{{ json.count / 2 }}", 1.5),
        ("{{ json.count // 2 }}", 1),
        ("{{ json.active }}", True),
        ("{{ not json.active }}", False),
        ("{{ json.nothing }}", None),
        ("{{ json.body.labels }}", ["bug", "ui"]),
        ("{{ json.body }}", ITEM["body"]),
        ("{{ [json.count, json.price] }}", [3, 2.5]),
        ("{{ {'n': json.count, 'ok': true} }}", {"n": 3, "ok": True}),
        ("{{ '5' }}", "5"),
        ("{{ json.body.title }}", "Crash on save"),
        ("  {{ json.count }}\n", 3),
        ("{{ json.count }}   ", 3),
        ("{{- json.count -}}", 3),
        ("{{ (1, 2) }}", [1, 2]),
        ("{{ json.body.labels|length }}", 2),
        ("{{ json.count > 2 and json.price < 3 }}", True),
        ("{{ 1 < json.count < 5 }}", True),
        ("{{ 1 < json.count < 2 }}", False),
        ("{{ 'bug' in json.body.labels }}", True),
        ("{{ 'x' not in json.body }}", True),
        ("{{ json.count if json.active else 0 }}", 3),
        ("{{ -json.count }}", -3),
        ("{{ 2 ** 10 }}", 1024),
        ("{{ 7 % 3 }}", 1),
        ("{{ json.body.labels[0] }}", "bug"),
        ("{{ json.body.labels[-1] }}", "ui"),
        ("{{ json['body']['priority'] }}", 2),
        ("{{ json.body.labels[0:1] }}", ["bug"]),
    ],
)
def test_a_whole_expression_keeps_its_native_type(source: str, expected: Any) -> None:
    result = ev(source)
    assert result == expected
    assert type(result) is type(expected)


def test_comments_around_one_expression_keep_it_native() -> None:
    assert ev("{# a comment #}{{ json.count }} {# another #}") == 3


def test_results_are_json_data() -> None:
    assert ev("{{ now }}") == "2024-05-17T12:30:00+00:00"
    assert ev("{{ [now] }}") == ["2024-05-17T12:30:00+00:00"]
    assert ev("{{ {1: 'a', none: 'b', 2.5: 'c'} }}") == {"1": "a", "null": "b", "2.5": "c"}
    assert ev("{{ json.body.labels|map('upper') }}") == ["BUG", "UI"]
    assert ev("{{ json.body.labels|reverse }}") == ["ui", "bug"]
    assert ev("{{ json.keys()|list }}") == list(ITEM)
    assert ev("{{ json.body.labels|map('e')|list }}") == ["bug", "ui"]
    assert type(ev("{{ '<b>'|e }}")) is str
    assert ev("{{ [json.missing] }}") == [None]


@pytest.mark.parametrize(
    "source",
    ["{{ json.keys }}", "{{ range }}", "{{ [range] }}", "{{ {'f': json.get} }}", "{{ 'a'.upper }}"],
)
def test_functions_and_methods_never_leak_out(source: str) -> None:
    with pytest.raises(ExpressionError, match="not data"):
        ev(source)


def test_a_plain_path_result_is_the_scope_object_itself() -> None:
    # no copy on the hot path
    assert ev("{{ json.body }}") is ITEM["body"]
    assert ev("{{ json }}") is ITEM


# --------------------------------------------------------------------------- text templates


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Bug: {{ json.body.title }}", "Bug: Crash on save"),
        ("{{ json.count }} items", "3 items"),
        ("{{ json.count }}{{ json.count }}", "33"),
        ("n={{ json.nothing }};m={{ json.missing }}", "n=;m="),
        ("{{ json.active }}/{{ not json.active }}", "true/false"),
        ("labels: {{ json.body.labels }}", 'labels: ["bug","ui"]'),
        (
            "body={{ json.body }}",
            'body={"title":"Crash on save","labels":["bug","ui"],"priority":2}',
        ),
        ("at {{ now }}", "at 2024-05-17T12:30:00+00:00"),
        ("{{ json.price }}!", "2.5!"),
        ("{% if json.count > 2 %}many{% else %}few{% endif %}", "many"),
        ("{% for l in json.body.labels %}[{{ loop.index }}:{{ l }}]{% endfor %}", "[1:bug][2:ui]"),
        ("{% for l in json.body.labels if l != 'ui' %}{{ l }}{% else %}none{% endfor %}", "bug"),
        ("{% set n = json.count * 2 %}{{ n }}", "6"),
        ("{% for _ in range(3) %}.{% endfor %}", "..."),
        ("{% set _n = 2 %}{{ _n }}!", "2!"),
        (
            "{% set ns = namespace(total=0) %}{% for i in items %}"
            "{% set ns.total = ns.total + i.count %}{% endfor %}{{ ns.total }}",
            "8",
        ),
        ("{% macro tag(x) %}<{{ x }}>{% endmacro %}{{ tag('a') }}{{ tag('b') }}", "<a><b>"),
        ("{{ 'x' ~ json.count ~ json.nothing ~ json.active }}", "x3true"),
        ("{# a comment #}{{ json.count }}! {# another #}", "3! "),
        ("{% raw %}{{ not evaluated }}{% endraw %}", "{{ not evaluated }}"),
        ("{{ json.body.labels|join(', ') }}", "bug, ui"),
        ("{{ '%s has %d' % (json.body.title, json.count) }}", "Crash on save has 3"),
        ("{{ '%(n)05d'|format(n=json.count) }}", "00003"),
        ("{{ json.body.title|upper|replace('SAVE', 'LOAD') }}", "CRASH ON LOAD"),
        ("{{ json.body|tojson }}", '{"title":"Crash on save","labels":["bug","ui"],"priority":2}'),
        ("{{ json.body.title|truncate(9, true, '…', 0) }}", "Crash on…"),
        ("={{ items|sum(attribute='count') }}", "=8"),
        ("={{ items|map(attribute='count')|max }}", "=5"),
        ("={{ items|selectattr('count', 'gt', 4)|map(attribute='count')|first }}", "=5"),
        ("{{ json.body.labels|sort(reverse=true)|first }}", "ui"),
        (
            "{% for g in items|groupby('count') %}{{ g.grouper }}:{{ g.list|length }};{% endfor %}",
            "3:1;5:1;",
        ),
        ("{{ now.strftime('%Y-%m-%d') }} {{ now.year }}", "2024-05-17 2024"),
        ("={{ json.body.title.split(' ')|length }}", "=3"),
        ("{{ ' x '.strip() }}|{{ 'abc'.startswith('a') }}", "x|true"),
        ("{{ json.get('count') }} {{ json.get('nope', 'd') }}", "3 d"),
        ("={{ json.body.title|wordcount }}", "=3"),
        ("?{{ {'a': 1, 'b': 'x y'}|urlencode }}", "?a=1&b=x+y"),
        ("={{ json.body.labels|batch(1)|list|length }}", "=2"),
        ("{{ 'ab'|center(6) }}|", "  ab  |"),
        ("{{ 'a\nb'|indent(2) }}", "a\n  b"),
        ("{{ range(3)|join('-') }}", "0-1-2"),
        ("{{ dict(a=1)|tojson }}", '{"a":1}'),
    ],
)
def test_a_mixed_template_renders_to_a_string(source: str, expected: str) -> None:
    assert ev(source) == expected


# --------------------------------------------------------------------------- scope


def test_every_name_in_scope() -> None:
    assert ev("{{ json.count }}") == 3
    assert ev("{{ item.count }}") == 3
    assert ev("{{ items|length }}") == 2
    assert ev("{{ items[1].count }}") == 5
    assert ev("{{ trigger.body.title }}") == "from trigger"
    assert ev("{{ execution.id }}/{{ execution.mode }}") == "ex-1/manual"
    assert ev("{{ workflow.id }}/{{ workflow.name }}") == "wf-1/Bug report"
    assert ev("{{ vars.team }} {{ vars.limit + 1 }}") == "core 11"
    assert ev("{{ now.isoformat() }}") == "2024-05-17T12:30:00+00:00"


def test_now_defaults_to_the_current_utc_time() -> None:
    now = make_scope({})["now"]
    assert isinstance(now, DateTime)
    assert now.value.utcoffset() is not None
    assert abs((now.value - datetime.now(UTC)).total_seconds()) < 5
    assert evaluate("{{ now.year > 2000 }}", make_scope({})) is True
    assert evaluate("{{ now.zone }}", make_scope({})) == "UTC"


def test_now_and_today_follow_the_workflow_time_zone() -> None:
    scope = make_scope({}, now=NOW, timezone="Asia/Tokyo")
    assert evaluate("{{ now }}", scope) == "2024-05-17T21:30:00+09:00"
    assert evaluate("{{ today }}", scope) == "2024-05-17T00:00:00+09:00"
    assert evaluate("{{ now.zone }}", scope) == "Asia/Tokyo"


def test_make_scope_defaults() -> None:
    built = make_scope({"a": 1})
    assert built["json"] is built["item"]
    assert built["items"] == [{"a": 1}]
    assert evaluate("{{ trigger.x }}|{{ vars.x }}|{{ workflow.name }}", built) == "||"
    assert evaluate("{{ nodes|length }}", make_scope()) == 0
    assert evaluate("{{ json }}", make_scope()) == {}


def test_with_item_derives_a_scope_without_touching_the_base() -> None:
    base = scope()
    derived = with_item(base, {"count": 42})
    assert evaluate("{{ json.count }} {{ item.count }}", derived) == "42 42"
    assert base["json"] is ITEM
    assert derived["items"] is base["items"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ nodes['Webhook'].json.id }}", 1),
        ("{{ nodes['Webhook'].json['body'].x }}", 1),
        ("{{ nodes.Webhook.json.id }}", 1),
        ("{{ nodes['Webhook'].items|length }}", 2),
        ("{{ nodes['Webhook'].items[1].id }}", 2),
        ("{{ nodes['Webhook']['json'].id }}", 1),
        ("{{ nodes['Empty'].json }}", {}),
        ("{{ nodes['Empty'].items }}", []),
        ("{{ nodes['Empty'].json.id }}", None),
        (
            "{{ nodes['Webhook'] }}",
            {
                "json": {"id": 1, "body": {"x": 1}},
                "items": [{"id": 1, "body": {"x": 1}}, {"id": 2}],
            },
        ),
        ("{{ 'Webhook' in nodes }}", True),
    ],
)
def test_nodes_lookup(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_an_unknown_node_is_a_clear_error() -> None:
    with pytest.raises(ExpressionError, match="no node named 'Nope'"):
        ev("{{ nodes['Nope'].json.id }}")


class CountingNodes(Mapping[str, Any]):
    """A lazy mapping like the engine's: counts which nodes were loaded."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def __getitem__(self, name: str) -> Any:
        if name not in ("A", "B"):
            raise KeyError(name)
        self.loaded.append(name)
        return ({"name": name},)

    def __iter__(self) -> Iterator[str]:
        return iter(("A", "B"))

    def __len__(self) -> int:
        return 2


def test_nodes_accepts_any_lazy_mapping_and_reads_only_what_is_named() -> None:
    lazy = CountingNodes()
    built = make_scope({}, nodes=lazy)
    assert isinstance(built["nodes"], NodesView)
    assert evaluate("{{ nodes['B'].json.name }}-{{ nodes.B.items|length }}", built) == "B-1"
    assert set(lazy.loaded) == {"B"}  # A is never loaded
    assert evaluate("{{ nodes.B.items }}", built) == [{"name": "B"}]


def test_nodes_sees_outputs_that_change_after_the_view_was_made() -> None:
    outputs: dict[str, Any] = {}
    built = make_scope({}, nodes=outputs)
    with pytest.raises(ExpressionError, match="no node named 'A'"):
        evaluate("{{ nodes.A.json.n }}", built)  # A has not run yet
    outputs["A"] = [{"n": 1}]
    assert evaluate("{{ nodes.A.json.n }}", built) == 1
    outputs["A"] = [{"n": 2}]
    assert evaluate("{{ nodes.A.json.n }}", built) == 2


def test_node_output_values_are_passed_through() -> None:
    output = NodeOutput([{"x": 1}])
    assert evaluate("{{ nodes.N.json.x }}", make_scope({}, nodes={"N": output})) == 1


# --------------------------------------------------------------------------- missing values


def test_a_missing_key_is_none_alone_and_empty_in_text() -> None:
    assert ev("{{ json.missing }}") is None
    assert ev("{{ json['missing'] }}") is None
    assert ev("{{ unknown_name }}") is None
    assert ev("[{{ json.missing }}]") == "[]"
    assert ev("{{ json.missing is defined }}") is False
    assert ev("{{ json.count is defined }}") is True
    assert ev("{{ json.missing|default('x') }}") == "x"
    assert ev("{{ json.missing or 'fallback' }}") == "fallback"
    assert ev("{% if json.missing %}yes{% else %}no{% endif %}") == "no"
    assert ev("{{ json.body.labels[5] }}") is None
    assert ev("{{ json.nothing.x }}") is None  # an attribute of null is missing too


@pytest.mark.parametrize(
    "source",
    [
        "{{ json.missing + 1 }}",
        "{{ 1 + json.missing }}",
        "{{ json.missing.deeper }}",
        "{{ json.missing['deeper'] }}",
        "{{ json.missing * 2 }}",
        "{{ json.missing() }}",
        "{{ unknown_name.x }}",
    ],
)
def test_an_operation_on_a_missing_value_fails_clearly(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert "undefined" in caught.value.message
    assert "Traceback" not in str(caught.value)


def test_keys_win_over_methods_and_underscore_keys_are_data() -> None:
    assert ev("{{ json.items }}") == ["from", "data"]
    assert ev("{{ json._id }}") == "abc123"
    assert ev("{{ json['_id'] }}") == "abc123"
    assert ev("{{ {'a': 1}.items()|list }}") == [["a", 1]]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
        ("{{ json.count + 'a' }}", "TypeError"),
        ("{{ json.body.title + 1 }}", "TypeError"),
        ("{{ 'x'|int + [] }}", "TypeError"),
        ("{{ json.body.labels.index('nope') }}", "ValueError"),
        ("{{ '%(nope)s' % json }}", "KeyError: 'nope'"),
        ("{{ json.count|nosuchfilter }}", "No filter named 'nosuchfilter'"),
        ("{{ json.count is nosuchtest }}", "No test named 'nosuchtest'"),
        ("{{ json.body.title.format(1) }}", "str.format is not available"),
    ],
)
def test_evaluation_errors_become_expression_errors(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    error = caught.value
    assert fragment in error.message
    assert error.expression == source
    text = str(error)
    assert "\n" not in text
    assert text == f"expression {source!r}: {error.message}"


def test_error_message_helpers() -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate({"url": "{{ 1 / 0 }}"}, scope())
    error = caught.value
    assert error.path == "url"
    assert (
        str(error)
        == "parameter 'url': expression '{{ 1 / 0 }}': ZeroDivisionError: division by zero"
    )
    assert error.describe("x", "params.url") == (
        "node 'x' parameter 'params.url': expression '{{ 1 / 0 }}': "
        "ZeroDivisionError: division by zero"
    )
    assert error.describe("x") == (
        "node 'x' parameter 'url': expression '{{ 1 / 0 }}': ZeroDivisionError: division by zero"
    )


def test_error_paths_follow_nested_values() -> None:
    compiled = compile_value(
        {"fields": {"ok": "{{ 1 }}", "bad": "{{ json.missing + 1 }}"}, "list": ["a", "{{ 1/0 }}"]},
        path="params",
    )
    with pytest.raises(ExpressionError) as caught:
        compiled.evaluate(scope())
    assert caught.value.path == "params.fields.bad"
    with pytest.raises(ExpressionError) as caught:
        compile_value({"list": ["a", "{{ 1/0 }}"]}, path="params").evaluate(scope())
    assert caught.value.path == "params.list[1]"
    with pytest.raises(ExpressionError) as caught:
        compile_value({"a": {"b": "{{ x + }}"}}, path="params")
    assert caught.value.path == "params.a.b"


def test_long_and_multiline_expressions_stay_on_one_line() -> None:
    source = "{% for x in items %}\n{{ x.count + 'a' }}\n{% endfor %}" + " " * 200
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    text = str(caught.value)
    assert "\n" not in text
    assert len(text) < 300


def test_syntax_error_of_a_multiline_template_names_the_line() -> None:
    with pytest.raises(ExpressionError, match=r"line 2"):
        compile_value("first line\n{{ json.a + }}")


def test_expression_errors_pickle() -> None:
    error = ExpressionLimitError("{{ x }}", "limit exceeded: y", "params.a")
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, ExpressionLimitError)
    assert (copy.expression, copy.message, copy.path) == (
        "{{ x }}",
        "limit exceeded: y",
        "params.a",
    )
    assert issubclass(ExpressionLimitError, ExpressionError)


# --------------------------------------------------------------------------- compile, cache


def test_a_value_without_expressions_compiles_to_the_same_object() -> None:
    value = {"a": [1, {"b": "plain"}], "c": "text { not } an {expression}"}
    compiled = compile_value(value)
    assert compiled.is_constant
    assert compiled.evaluate(scope()) is value
    assert evaluate(value, scope()) is value
    for plain in ("x", 1, None, True, 2.5, [], {}):
        assert evaluate(plain, scope()) is plain


def test_constant_parts_are_not_copied() -> None:
    static = {"deep": ["x"]}
    value = {"static": static, "dynamic": "{{ json.count }}", "list": [static, "{{ 1 }}"]}
    compiled = compile_value(value)
    assert isinstance(compiled, Compiled)
    assert not compiled.is_constant
    result = compiled.evaluate(scope())
    assert result == {"static": static, "dynamic": 3, "list": [static, 1]}
    assert result["static"] is static
    assert result["list"][0] is static
    assert value["dynamic"] == "{{ json.count }}"  # the source value is untouched


def test_the_same_source_is_compiled_once() -> None:
    source = "{{ json.count * 7 + 0 }}"
    first = compile_value(source)
    assert compile_value(source) is first
    assert compile_value({"k": source}).evaluate(scope()) == {"k": 21}
    assert compile_value("".join(["{{ json.count * 7", " + 0 }}"])) is first  # keyed by text
    text = "Hello {{ json.body.title }}"
    assert compile_value(text) is compile_value(text)


def test_compiled_values_are_reusable_across_scopes() -> None:
    compiled = compile_value({"n": "{{ json.count * 2 }}", "t": "#{{ json.count }}"})
    assert compiled.evaluate(scope({"count": 1})) == {"n": 2, "t": "#1"}
    assert compiled.evaluate(scope({"count": 2})) == {"n": 4, "t": "#2"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{{ x }}", True),
        ("a {% if x %}b{% endif %}", True),
        ("plain", False),
        ("{ not one }", False),
        ({"a": {"b": ["x", "{{ y }}"]}}, True),
        ({"a": {"b": ["x", "y"]}}, False),
        ([1, 2, ("{{ z }}",)], True),
        (42, False),
        (None, False),
    ],
)
def test_has_expression(value: Any, expected: bool) -> None:
    assert has_expression(value) is expected


# --------------------------------------------------------------------------- check_syntax


def test_check_syntax_reports_every_error_with_its_path() -> None:
    params = {
        "url": "https://x/{{ json.id }}",
        "fields": {"title": "{{ json.a + }}", "ok": "{{ json.b }}", "plain": "text"},
        "rules": [{"condition": "{{ json.x > }}"}, {"condition": "{{ true }}"}],
        "tags": ["{% for %}", "{{ x|nosuch }}", "{% include 'x.html' %}", "{{ __import__('os') }}"],
        "count": 3,
    }
    errors = check_syntax(params, "params")
    assert [path for path, _ in errors] == [
        "params.fields.title",
        "params.rules[0].condition",
        "params.tags[0]",
        "params.tags[1]",
        "params.tags[2]",
        "params.tags[3]",
    ]
    messages = dict(errors)
    assert messages["params.fields.title"].startswith("expression '{{ json.a + }}': ")
    assert "nosuch" in messages["params.tags[1]"]
    assert "'include' is not allowed" in messages["params.tags[2]"]
    assert "'__import__' is not allowed" in messages["params.tags[3]"]


def test_check_syntax_of_a_valid_document_is_empty() -> None:
    assert check_syntax({"a": "{{ json.a }}", "b": ["{% if x %}y{% endif %}"], "c": 1}) == []
    assert check_syntax("no expression here") == []
    assert check_syntax("{{ oops(", "params.x") == [
        ("params.x", check_syntax("{{ oops(")[0][1]),
    ]


def test_check_syntax_evaluates_nothing() -> None:
    # valid syntax that would fail or blow a limit at run time passes the check quickly
    assert (
        check_syntax(
            {"a": "{{ 1 / 0 }}", "b": "{{ 'x'|center(10**9) }}", "c": "{{ 'a' * 10**10 }}"}
        )
        == []
    )
    with pytest.raises(ExpressionLimitError):
        evaluate("{{ 'x'|center(10**9) }}", scope())


def test_syntax_error_raised_by_compile_value() -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_value("{{ json.a + }}")
    assert caught.value.expression == "{{ json.a + }}"
    assert "unexpected" in caught.value.message


# --------------------------------------------------------------------------- fast evaluator

FAST_CORPUS = [
    "{{ json.n % 2 == 0 }}",
    "{{ json.n + 1 }}",
    "{{ json.n - json.f * 2 }}",
    "{{ json.n / json.zero }}",
    "{{ json.n // 3 }}",
    "{{ json.s == 'abc' }}",
    "{{ json.s != json.t }}",
    "{{ json.s < json.t }}",
    "{{ json.n < json.s }}",
    "{{ json.missing == None }}",
    "{{ json.missing != 1 }}",
    "{{ json.missing + 1 }}",
    "{{ json.none == None }}",
    "{{ json.none < 1 }}",
    "{{ json.s % 3 }}",
    "{{ json.s + 'x' }}",
    "{{ json.list == [1] }}",
    "{{ json.obj.k > 1 and not json.b }}",
    "{{ json.b or json.s }}",
    "{{ json.b and json.s }}",
    "{{ -json.n }}",
    "{{ -json.s }}",
    "{{ 1 < json.n < 10 }}",
    "{{ json.big * json.big }}",
    "{{ json.float * 1e308 * 10 }}",
    "{{ json.long == 'x' }}",
    "{{ 1 == True }}",
    "{{ json.n == 7.0 }}",
]
FAST_ITEMS = [
    {
        "n": 7,
        "f": 1.5,
        "zero": 0,
        "s": "abc",
        "t": "abd",
        "none": None,
        "list": [1],
        "obj": {"k": 2},
        "b": False,
        "big": 2**4000,
        "float": 1e10,
        "long": "x" * 20_000,
    },
    {"n": -3, "f": 0, "zero": 0, "s": "", "t": "", "none": None, "obj": {}, "b": True},
]


def _outcome(compiled: Any, item: Any) -> tuple[str, Any]:
    try:
        return ("value", compiled.evaluate(scope(item)))
    except ExpressionError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("source", FAST_CORPUS)
def test_fast_evaluator_agrees_with_the_sandbox(source: str) -> None:
    from wirework.engine import expressions

    fast = expressions._compile_string.__wrapped__(source)  # a fresh compile, not cached
    slow = expressions._compile_string.__wrapped__(source)
    slow._fast = None
    for item in FAST_ITEMS:
        got, want = _outcome(fast, item), _outcome(slow, item)
        assert got == want, (source, item)
        assert type(got[1]) is type(want[1])


def test_fast_evaluator_covers_the_common_shapes() -> None:
    from wirework.engine import expressions

    for source in ("{{ json.n % 2 == 0 }}", "{{ json.a > 1 and json.b == 'x' }}"):
        assert expressions._compile_string.__wrapped__(source)._fast is not None
    for source in ("{{ json.a | length }}", "{{ json.a in [1] }}", "{{ json.a ** 2 }}"):
        assert expressions._compile_string.__wrapped__(source)._fast is None


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("value", "names", "nodes"),
    [
        ("plain", set(), set()),
        ("{{ json.a }}", {"json"}, set()),
        ("{{ nodes['A b'].json.x }} {{ nodes.C.items | length }}", {"nodes"}, {"A b", "C"}),
        ("{{ nodes.A.x + nodes.A.y }}", {"nodes"}, {"A"}),
        ({"x": ["{{ items[0] }}"], "y": "{{ trigger.id }}"}, {"items", "trigger"}, set()),
        ("{{ nodes[json.which].json }}", {"nodes", "json"}, None),
        ("{{ nodes | length }}", {"nodes"}, None),
        ({"a": "{{ nodes.A.json }}", "b": "{{ nodes[json.k] }}"}, {"nodes", "json"}, None),
    ],
)
def test_references_are_found_without_evaluating(
    value: Any, names: set[str], nodes: set[str] | None
) -> None:
    refs = compile_value(value).references
    assert refs.names == names
    assert refs.nodes == (frozenset(nodes) if nodes is not None else None)

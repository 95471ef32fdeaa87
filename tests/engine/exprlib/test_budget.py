"""The work budget covers the library: huge strings and lists given to each heavy function
are charged before they are processed, so cheap work goes through and costly work fails
cleanly with a limit error naming the function — never past the evaluation's budget."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from wirework.engine import expr_budget, exprlib
from wirework.engine.expr_budget import STATS
from wirework.engine.expressions import (
    MAX_MEMORY,
    MAX_OPERATIONS,
    MAX_OUTPUT_CHARS,
    MAX_WORK,
    ExpressionError,
    ExpressionLimitError,
    Usage,
    compile_value,
    make_scope,
    measure,
)

OK = "ok"
LIMIT = "limit"  # an ExpressionLimitError naming the function
ERROR = "error"  # refused with a plain error (a documented size cap)

BIG = {
    "text": "word " * 800_000,  # 4 MB
    "ab": "ab" * 1_000_000,  # 2 MB without spaces
    "a": "a" * 60_000,
    "html": "<p>Mail ada@example.com, see https://example.com/x</p>\n" * 60_000,  # 3.4 MB
    "nums": list(range(500_000)),
    "rows": [{"id": i, "group": i % 7, "total": i * 1.5, "tags": ["x"]} for i in range(100_000)],
    "nested": [[i, [i]] for i in range(200_000)],
    "json": json.dumps([{"id": i, "v": "x" * 20} for i in range(100_000)]),  # 3.4 MB
    "small_json": json.dumps([{"id": i, "v": "x" * 20} for i in range(10_000)]),  # 0.3 MB
    "deep": "[" * 100_000 + "]" * 100_000,
    "wide": [[1]] * 3_000_000,  # shared parts count each time they appear
    "objects": [{"a": {"b": 1}}] * 1_000_000,
}

CASES = [
    # regular expressions: the worst case is reserved per search, real CPU time settled
    ("{{ vars.text | regex_match('zzz') }}", OK),
    ("{{ vars.text[:100000] | regex_search('(w)(o)rd$') }}", OK),
    ("{{ vars.text | regex_search('(w)(o)rd$') }}", LIMIT),  # the worst case does not fit
    ("{{ vars.text[:200000] | regex_find_all('w\\\\w+') | length }}", OK),
    ("{{ vars.text | regex_find_all('\\\\w+') | length }}", LIMIT),
    ("{{ vars.text | regex_replace(' ', '_') | length }}", LIMIT),
    ("{{ vars.text | regex_split(' ') | length }}", LIMIT),
    ("{{ vars.a | regex_find_all('a.*b|a') | length }}", LIMIT),  # quadratic in RE2 too
    ("{{ vars.ab | regex_match('[ab]*a[ab]{20}c') }}", LIMIT),  # NFA fallback
    ("{{ vars.ab | regex_match('(a|b|ab|ba)*c' ~ '(a|b)?' * 100) }}", LIMIT),
    ("{{ vars.html | extract_emails | length }}", LIMIT),
    ("{{ vars.html[:20000] | extract_urls | length }}", OK),
    ("{{ vars.text | regex_escape | length }}", OK),
    ("{{ (vars.html ~ vars.html[:1000000]) | regex_escape }}", LIMIT),
    # text helpers
    ("{{ vars.text | slugify }}", ERROR),
    ("{{ vars.text[:9000] | slugify | length }}", OK),
    ("{{ vars.text | snake_case | length }}", LIMIT),
    ("{{ vars.text[:100000] | camel_case | length }}", OK),
    ("{{ vars.text | pad_start(4000010) | length }}", OK),
    ("{{ vars.text | pad_end(6000000) }}", LIMIT),
    ("{{ vars.text | trim_end | length }}", OK),
    ("{{ format_text('{}{}', vars.text, vars.text) }}", LIMIT),
    ("{{ format_text('{0}{0}', vars.text) }}", LIMIT),
    # encoding and hashing
    ("{{ vars.text | sha256 }}", OK),
    ("{{ vars.text | hmac('k') | length }}", OK),
    ("{{ vars.text | md5 }}{{ vars.text | sha512 }}", OK),
    ("{{ vars.text | base64_encode | length }}", LIMIT),  # 5.3 M characters
    ("{{ vars.ab | base64_encode | base64_decode | length }}", OK),
    ("{{ vars.text | hex_encode }}", LIMIT),
    ("{{ vars.text | url_encode | length }}", LIMIT),
    ("{{ vars.text[:100000] | url_encode | length }}", OK),
    ("{{ vars.rows[:20000] | sha256 }}", OK),
    ("{{ vars.rows | sha256 }}", LIMIT),  # its JSON is over 5 M characters
    # JSON and data
    ("{{ vars.small_json | parse_json | length }}", OK),
    ("{{ vars.json | parse_json | length }}", LIMIT),  # one C call holding the GIL
    ("{{ vars.deep | parse_json }}", LIMIT),
    ("{{ vars.rows[:20000] | to_json | length }}", OK),
    ("{{ vars.rows | to_json | length }}", LIMIT),
    ("{{ vars.rows[:2000] | jmespath('[?group==`3`].id') | length }}", OK),
    ("{{ vars.rows | jmespath('[?group==`3`].id') | length }}", OK),
    ("{{ vars.rows | jmespath('[*].[id, total, group, tags, id, total]') | length }}", LIMIT),
    ("{{ jmespath(vars.nums, 'sort(@)') }}", LIMIT),
    ("{{ jmespath(vars.rows, 'length(@)') }}", OK),
    ("{{ jmespath([1], '[@, @]' ~ ' | [@, @]' * 30 ~ ' | to_string(@)') }}", LIMIT),
    ("{{ vars.nums | sort_by | length }}", LIMIT),
    ("{{ vars.rows[:10000] | sort_by('total', true) | length }}", OK),
    ("{{ vars.rows[:20000] | group_by('group') | length }}", OK),
    ("{{ vars.rows | pluck('tags[0]') | length }}", OK),
    ("{{ vars.nums[:100000] | distinct | length }}", OK),
    ("{{ vars.rows[:20000] | distinct('tags') | length }}", OK),
    ("{{ vars.objects | distinct('a') | length }}", LIMIT),
    ("{{ vars.rows | sum_of('total') }}", OK),
    ("{{ vars.rows | average('id') }}", OK),
    ("{{ vars.nested[:50000] | flatten(-1) | length }}", OK),
    ("{{ vars.wide | flatten(-1) | length }}", LIMIT),
    ("{{ vars.nums[:100000] | chunk(2) | length }}", OK),
    ("{{ vars.nums | chunk(1) | chunk(1) | chunk(1) | length }}", LIMIT),
    ("{{ vars.rows | compact | length }}", OK),
    ("{{ merge(*vars.rows[:1000]) | length }}", OK),
    ("{{ deep_merge(*vars.rows[:20000]) | length }}", OK),
    ("{{ deep_merge(*vars.objects) | length }}", LIMIT),
    ("{{ deep_get(vars.rows, '99999.tags[0]') }}", OK),
    # numbers
    ("{{ max(vars.nums) }}", OK),
    ("{{ min(*vars.nums) }}", OK),
    ("{{ max(vars.nums * 9) }}", LIMIT),
    ("{{ format_number(10**1000) | length }}", OK),
    ("{{ to_int('9' * 400) | string | length }}", OK),
]


def _run(source: str) -> tuple[Any, ExpressionError | None, Usage]:
    scope = make_scope(exprlib.EXAMPLE_ITEM, now=exprlib.EXAMPLE_NOW, vars=BIG)
    try:
        result, usage = measure(source, scope)
        return result, None, usage
    except ExpressionError as exc:
        return None, exc, exc.usage


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[s[:90] for s, _ in CASES])
def test_big_inputs_to_library_functions(source: str, expected: str) -> None:
    result, error, usage = _run(source)
    assert usage.work <= MAX_WORK + 50_000_000  # a settled search may overshoot a little
    assert usage.operations <= MAX_OPERATIONS
    assert usage.memory <= MAX_MEMORY
    assert usage.output <= MAX_OUTPUT_CHARS
    if expected == OK:
        assert error is None, str(error)
        assert usage.work > 0
    elif expected == LIMIT:
        assert isinstance(error, ExpressionLimitError), (
            f"not refused: {source[:80]}: {result!r:.80}"
        )
        assert error.message.startswith("limit exceeded: ")
        named = error.message.removeprefix("limit exceeded: ").split(":")[0]
        assert named in {e.name for e in exprlib.ENTRIES}, error.message
    else:
        assert isinstance(error, ExpressionError) and not isinstance(error, ExpressionLimitError)


def test_every_heavy_function_is_covered() -> None:
    sources = " ".join(source for source, _ in CASES)
    heavy = [
        "regex_match", "regex_search", "regex_find_all", "regex_replace", "regex_split",
        "regex_escape", "extract_emails", "extract_urls", "slugify", "snake_case",
        "camel_case", "pad_start", "pad_end", "format_text", "sha256", "hmac", "md5", "sha512",
        "base64_encode", "base64_decode", "hex_encode", "url_encode", "parse_json", "to_json",
        "jmespath", "sort_by", "group_by", "pluck", "distinct", "sum_of", "average", "flatten",
        "chunk", "compact", "merge", "deep_merge", "deep_get", "max", "min", "format_number",
        "to_int",
    ]  # fmt: skip
    for name in heavy:
        assert name in sources, name


def test_a_big_regex_moves_off_the_event_loop_and_stays_correct() -> None:
    compiled = compile_value("{{ vars.text | regex_find_all('w(o)r') | length }}")
    scope = make_scope({}, vars={"text": "word " * 20_000})
    before = STATS.off_loop
    assert asyncio.run(compiled.evaluate_async(scope)) == 20_000
    assert STATS.off_loop == before + 1
    small = make_scope({}, vars={"text": "word " * 10})
    assert asyncio.run(compiled.evaluate_async(small)) == 10
    assert STATS.off_loop == before + 1  # small work stays on the loop


def test_a_cancelled_evaluation_stops_between_searches() -> None:
    # With a budget of about a minute, only cancellation frees the worker thread soon.
    compiled = compile_value("{{ vars.a | regex_find_all('a.*b|a') | length }}")
    scope = make_scope({}, vars={"a": "a" * 400_000})
    small = compile_value("{{ vars.text | regex_find_all('w(o)r') | length }}")
    small_scope = make_scope({}, vars={"text": "word " * 20_000})

    async def cancel_then_evaluate() -> float:
        task = asyncio.ensure_future(compiled.evaluate_async(scope))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        started = time.monotonic()
        assert await small.evaluate_async(small_scope) == 20_000  # queued behind it
        return time.monotonic() - started

    previous = expr_budget.limits().max_work
    expr_budget.configure(max_work=60_000_000_000)
    try:
        waited = asyncio.run(cancel_then_evaluate())
    finally:
        expr_budget.configure(max_work=previous)
    assert waited < 10, f"the worker was busy for {waited:.1f} s after the cancel"

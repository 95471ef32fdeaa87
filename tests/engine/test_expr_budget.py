"""The work budget and where evaluations run: small ones on the event loop, big ones in
the expression worker thread (the loop keeps running meanwhile), cancelled with their
caller; the counters say what each evaluation spent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from wirework.engine import expr_budget
from wirework.engine.expressions import (
    MAX_CALL_WORK,
    MAX_WORK,
    ExpressionError,
    ExpressionLimitError,
    compile_value,
    evaluate,
    evaluate_async,
    make_scope,
    measure,
)

BIG = "x" * 2_000_000
#: Within the budget, but far more than the on-loop allowance: 100,000 loop steps.
HEAVY = "{% for i in range(100000) %}{{ i % 7 }}{% endfor %}"


SMALL = [
    "{{ json.n * 2 }}",
    "Hi {{ json.title }}!",
    "{{ json.title|upper }}",
    "{% for i in range(100) %}{{ i }}{% endfor %}",
    "{{ vars.big|length }}",
]


def scope() -> dict[str, Any]:
    return make_scope({"n": 3, "title": "Crash"}, vars={"big": BIG})


@pytest.fixture
def unlimited_work() -> Iterator[None]:
    before = expr_budget.limits().max_work
    expr_budget.configure(max_work=10**14)
    yield
    expr_budget.configure(max_work=before)


async def _worker_idle() -> None:
    async with asyncio.timeout(60):
        await expr_budget.off_loop(lambda budget: None)


async def test_small_evaluations_stay_on_the_loop() -> None:
    moved = expr_budget.STATS.off_loop
    for source in SMALL:
        assert await evaluate_async(source, scope()) == evaluate(source, scope())
    assert expr_budget.STATS.off_loop == moved


async def test_big_evaluations_move_off_the_loop_and_the_loop_keeps_running() -> None:
    moved = expr_budget.STATS.off_loop
    task = asyncio.create_task(evaluate_async(HEAVY, scope()))
    ticks = 0
    while not task.done():
        await asyncio.sleep(0)
        ticks += 1
    assert await task == evaluate(HEAVY, scope())
    assert expr_budget.STATS.off_loop == moved + 1
    assert ticks >= 10  # the loop ran other work while the evaluation went on


async def test_a_limit_found_off_the_loop_is_the_same_error() -> None:
    source = "{% for i in range(100000) %}{{ 'y' in vars.big }}{% endfor %}"
    with pytest.raises(ExpressionLimitError) as caught:
        await evaluate_async(source, scope())
    assert caught.value.limit == "work"
    assert caught.value.usage.work <= MAX_WORK and not caught.value.usage.on_loop


async def test_errors_of_dicts_and_lists_keep_their_path_off_the_loop() -> None:
    compiled = compile_value({"a": [1, {"b": "{{ vars.big * 3 }}"}]}, path="params")
    with pytest.raises(ExpressionError) as caught:
        await compiled.evaluate_async(scope())
    assert caught.value.path == "params.a[1].b"
    assert await compile_value({"a": [HEAVY, "{{ json.n }}"]}).evaluate_async(scope()) == {
        "a": [evaluate(HEAVY, scope()), 3]
    }


@pytest.mark.usefixtures("unlimited_work")
async def test_cancelling_the_caller_stops_the_worker() -> None:
    cancelled = expr_budget.STATS.cancelled
    source = "{% for i in range(100000) %}{{ 'y' in vars.big }}{% endfor %}"  # a minute or more
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await evaluate_async(source, scope())
    await _worker_idle()
    assert expr_budget.STATS.cancelled == cancelled + 1


def test_usage_counts_what_an_evaluation_spent() -> None:
    result, usage = measure("{{ vars.big|upper|length }}", scope())
    assert result == len(BIG)
    assert 2 * len(BIG) <= usage.work <= MAX_WORK  # the upper pass and the new string
    assert usage.memory >= len(BIG) and usage.operations > 0
    _, small = measure("{{ json.n + 1 }}", scope())
    assert small.work < 1000


def test_one_step_too_big_is_refused_before_it_runs() -> None:
    source = "{{ vars.big.islower() }}"  # 25 units a character in one C call: 50 M
    with pytest.raises(ExpressionLimitError) as caught:
        evaluate(source, make_scope({}, vars={"big": "x" * 4_000_000}))
    assert caught.value.limit == "call"
    assert f"more than the {MAX_CALL_WORK:,} one filter, method or operator" in str(caught.value)
    assert caught.value.usage.work < MAX_CALL_WORK  # nothing of it was done


def test_the_work_budget_is_a_setting() -> None:
    before = expr_budget.limits().max_work
    source = "{{ vars.big|upper|length }}"
    try:
        expr_budget.configure(max_work=5_000_000)
        with pytest.raises(ExpressionLimitError, match="work budget of 5,000,000 units"):
            evaluate(source, scope())
    finally:
        expr_budget.configure(max_work=before)
    assert evaluate(source, scope()) == len(BIG)


def test_settings_reach_the_budget(tmp_path: Any) -> None:
    from wirework.settings import Settings

    settings = Settings(data_dir=tmp_path, expression_max_work=123_000_000, expression_threads=2)
    assert settings.expression_max_work == 123_000_000 and settings.expression_threads == 2
    assert Settings.model_fields["expression_max_work"].description


def test_converting_a_long_list_result_is_python_work_not_one_step() -> None:
    numbers = list(range(1_000_000))  # walking it costs more than one step may take at once
    result, usage = measure("{{ vars.n|list }}", make_scope({}, vars={"n": numbers}))
    assert result == numbers
    assert MAX_CALL_WORK < usage.work <= MAX_WORK

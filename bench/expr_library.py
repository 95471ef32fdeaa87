"""Expression library: what a typical call costs per item, and how well the work budget's
estimates match the CPU time really used.

For each expression, 20,000 evaluations on one item each (the inline, on-loop path a set
node takes per item): microseconds per evaluation, next to a plain path (`json.title`) and a
small builtin filter as baselines. Then, for a few heavy calls on big inputs, the CPU time
(thread time) against the units charged (a unit is meant to be about a nanosecond): a ratio
well above 1 means the budget undercharges that call. Nothing is asserted; see README.md.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from bench.common import machine, report
from wirework.engine import exprlib
from wirework.engine.expressions import (
    ExpressionError,
    compile_value,
    make_scope,
    measure,
    with_item,
)

ITEMS = 20_000
ITEM = {
    "title": "Quarterly Report 2024 (final)",
    "created": "2024-05-17T10:30:00Z",
    "email": "Ada <ada@example.com>",
    "price": 1234.567,
    "orders": [
        {"id": i, "total": i * 1.5, "status": "paid" if i % 2 else "open"} for i in range(5)
    ],
}
PER_ITEM = [
    ("plain path (baseline)", "{{ json.title }}"),
    ("builtin filter (baseline)", "{{ json.title | upper }}"),
    ("format_date", "{{ json.created | format_date('%d %b %Y') }}"),
    ("date_plus + format", "{{ json.created | date_plus(days=3) | format_date('%Y-%m-%d') }}"),
    ("now.plus().format()", "{{ now.plus(hours=1).format('%H:%M') }}"),
    ("jmespath filter", "{{ json | jmespath(\"orders[?status=='paid'].id\") }}"),
    ("sum_of", "{{ json.orders | sum_of('total') }}"),
    ("regex_search", "{{ regex_search(json.title, '(\\\\d{4})').groups[0] }}"),
    ("regex_replace", "{{ json.title | regex_replace('\\\\s+', '-') }}"),
    ("extract_emails", "{{ json.email | extract_emails }}"),
    ("slugify", "{{ json.title | slugify }}"),
    ("sha256", "{{ json.title | sha256 }}"),
    ("format_number", "{{ json.price | format_number(2) }}"),
    ("uuid7", "{{ uuid7() }}"),
]
HEAVY_VARS: dict[str, Any] = {
    "text": "word " * 200_000,
    "rows": [{"id": i, "group": i % 7, "total": i * 1.5} for i in range(30_000)],
}
HEAVY = [
    (
        "regex_find_all, 200k matches in 1 MB",
        "{{ vars.text | regex_find_all('w\\\\w+') | length }}",
    ),
    (
        "regex_replace, 40k matches in 200 kB",
        "{{ vars.text[:200000] | regex_replace('o', '0') | length }}",
    ),
    ("jmespath filter, 30k rows", "{{ vars.rows | jmespath('[?group==`3`].id') | length }}"),
    ("group_by, 30k rows", "{{ vars.rows | group_by('group') | length }}"),
    ("sort_by, 30k rows", "{{ vars.rows | sort_by('total', true) | length }}"),
    ("sha256, 1 MB", "{{ vars.text | sha256 }}"),
    ("slugify, 10k characters", "{{ vars.text[:10000] | slugify | length }}"),
]


def per_item(source: str) -> float:
    compiled = compile_value({"v": source})
    scope = make_scope({}, now=exprlib.EXAMPLE_NOW)
    item_scope = with_item(scope, ITEM)
    for _ in range(200):  # warm up: caches, compiled patterns and queries
        compiled.evaluate_inline(item_scope)
    started = time.perf_counter()
    for _ in range(ITEMS):
        compiled.evaluate_inline(with_item(scope, ITEM))
    return (time.perf_counter() - started) / ITEMS * 1e6


def heavy(source: str) -> tuple[float, float]:
    """CPU milliseconds and nanoseconds per unit charged (refused calls count what they
    were charged until refused)."""
    scope = make_scope({}, vars=HEAVY_VARS)
    with contextlib.suppress(ExpressionError):
        measure(source, scope)  # warm up
    started = time.thread_time()
    try:
        _, usage = measure(source, scope)
    except ExpressionError as exc:
        usage = exc.usage
    cpu = time.thread_time() - started
    return cpu * 1e3, cpu * 1e9 / max(usage.work, 1)


def main() -> None:
    rows = [(name, f"{per_item(source):7.1f} µs per evaluation") for name, source in PER_ITEM]
    report(f"expression library, per item ({ITEMS:,} items) — {machine()}", rows)
    lines = []
    for name, source in HEAVY:
        cpu_ms, ratio = heavy(source)
        lines.append((name, f"{cpu_ms:7.1f} ms CPU, {ratio:4.2f} ns per unit charged"))
    report("expression library, big inputs: CPU time against the budget's units", lines)

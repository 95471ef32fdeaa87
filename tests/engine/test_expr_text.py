"""Sliced text work gives exactly what one call over the whole string gives: the case
methods, Jinja's title/wordcount/striptags, split and JSON, on random and awkward texts
cut into tiny slices."""

from __future__ import annotations

import html
import json
import random
import re
from typing import Any

import pytest
from jinja2.filters import do_title, do_wordcount

from wirework.engine import expr_text, expr_values, expressions
from wirework.engine.expr_budget import Budget, Cancelled

ALPHABET = "aaB  \n\t<>&;#-({[!/é1Σß.İx-->"


def _texts() -> list[str]:
    rng = random.Random(7)
    texts = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 80))) for _ in range(400)]
    texts += ["a" * 50, "  leading and trailing  ", "<!-- a > b --> c <d e='>'> f", "&amp;" * 9]
    texts += ["word" * 20 + " next", "Σ" * 30, "ß" * 30 + "a b", "&#1234;&lt;x&gt;" * 5]
    return texts


TEXTS = _texts()


@pytest.fixture(autouse=True)
def _tiny_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(expr_text, "SLICE", 5)


def _nothing() -> None:
    pass


def _striptags_reference(value: str) -> str:
    """The previous whole-string implementation (regular expressions over everything)."""
    for pattern, end in ((re.compile(r"<!--.*?-->", re.S), "-->"), (re.compile(r"<[^>]*>"), ">")):
        last = value.rfind(end)
        if last != -1:
            cut = last + len(end)
            value = pattern.sub("", value[:cut]) + value[cut:]
    return html.unescape(" ".join(value.split()))


@pytest.mark.parametrize("name", sorted(expr_text.CASE_METHODS))
def test_case_methods_in_slices(name: str) -> None:
    for text in TEXTS:
        assert expr_text.sliced_method(text, name, _nothing) == getattr(text, name)(), text


def test_jinja_text_filters_in_slices() -> None:
    for text in TEXTS:
        assert expr_text.title(text, _nothing) == do_title(text), text
        assert expr_text.wordcount(text, _nothing) == do_wordcount(text), text
        assert expr_text.striptags(text, _nothing) == _striptags_reference(text), text
        assert expr_text.capitalize(text, _nothing) == text.capitalize(), text
        assert expr_text.lower(text, _nothing) == text.lower(), text


@pytest.mark.parametrize("separator", [None, " ", "&", "a", "\n"])
def test_split_in_slices(separator: str | None) -> None:
    for text in TEXTS:
        assert expr_text.split(text, separator, _nothing) == text.split(separator), text
    longest = [max(map(len, t.split()), default=0) for t in TEXTS]
    assert [expr_text.longest_word(t, _nothing) for t in TEXTS] == longest


def test_slices_cover_the_text_in_order() -> None:
    for text in TEXTS:
        parts = list(expr_text.slices(text))
        assert "".join(part for _, part in parts) == text
        assert all(previous == text[: len("".join(p for _, p in parts[:i]))][-1:]
                   for i, (previous, _) in enumerate(parts))  # fmt: skip


def test_cancelled_between_slices() -> None:
    budget = Budget()
    budget.cancel()
    with pytest.raises(Cancelled):
        expr_text.title("a b c d e f g h " * 10, budget.checkpoint)


@pytest.mark.parametrize(
    "value",
    [
        list(range(3000)),
        {f"k{i}": [i, str(i), {"x": "é" * (i % 7)}] for i in range(1500)},
        [[list(range(400))], 1, "x" * 3000, [list(range(500))]],
        {"a": "y" * 5000, "b": [{"c": list(range(2500))}]},
        [],
        {},
    ],
)
def test_json_in_parts_is_the_same_text(monkeypatch: pytest.MonkeyPatch, value: Any) -> None:
    monkeypatch.setattr(expr_values, "JSON_SLICE", 1000)
    monkeypatch.setattr(expr_values, "JSON_RUN", 64)
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert expressions.evaluate("{{ v|tojson }}", {"v": value}) == expected
    assert expressions.evaluate("{{ v|string }}", {"v": value}) == expected

"""Strings and regular expressions (RE2): results are plain data, semantics follow Python's
re module where RE2 allows, bad patterns are clear errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.engine.exprlib.conftest import ev
from wirework.engine.expressions import ExpressionError
from wirework.engine.exprlib import patterns


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ regex_match('abc', 'b') }}", True),
        ("{{ regex_match('abc', '^b') }}", False),
        ("{{ regex_match('ABC', 'b', 'i') }}", True),
        ("{{ regex_match('a\\nb', '^b$', 'm') }}", True),
        ("{{ regex_match('a\\nb', 'a.b') }}", False),
        ("{{ regex_match('a\\nb', 'a.b', 's') }}", True),
        ("{{ regex_match(12345, '^[0-9]+$') }}", True),
        ("{{ regex_match('', '') }}", True),
        ("{{ regex_search('héllo wörld', 'w(ö)') }}",
         {"match": "wö", "groups": ["ö"], "named": {}, "start": 6, "end": 8}),
        ("{{ regex_search('ab', '(x)?b') }}",
         {"match": "b", "groups": [None], "named": {}, "start": 1, "end": 2}),
        ("{{ regex_search('ab', 'a').match }}", "a"),
        ("{{ regex_find_all('a1b2', '[0-9]') }}", ["1", "2"]),
        ("{{ regex_find_all('x', '(a)?x') }}", [""]),
        ("{{ regex_find_all('aaa', 'a*') }}", ["aaa", ""]),
        ("{{ regex_find_all('ééé', '') | length }}", 4),
        ("{{ regex_find_all('k=v;x=y', '(?P<k>\\\\w)=(?P<v>\\\\w)') }}", [["k", "v"], ["x", "y"]]),
        ("{{ regex_replace('abc', 'x*', '-') }}", "-a-b-c-"),
        ("{{ regex_replace('aaa', 'a', 'b', 2) }}", "bba"),
        ("{{ regex_replace('john smith', '(?P<first>\\\\w+) (?P<last>\\\\w+)', '\\\\g<last>, \\\\g<first>') }}",
         "smith, john"),
        ("{{ regex_replace('a.b', '\\\\.', '\\\\\\\\') }}", "a\\b"),
        ("{{ regex_replace('a b', ' ', '\\\\n') }}", "a\nb"),
        ("{{ regex_replace('ab', '(a)(x)?', '[\\\\2]') }}", "[]b"),
        ("{{ regex_replace('日本語', '本', 'x') }}", "日x語"),
        ("{{ regex_split('a1b22c', '[0-9]+') }}", ["a", "b", "c"]),
        ("{{ regex_split('a1b2c', '([0-9])') }}", ["a", "1", "b", "2", "c"]),
        ("{{ regex_split('a,b,c', ',', 1) }}", ["a", "b,c"]),
        ("{{ regex_split('', ',') }}", [""]),
        ("{{ regex_escape('a.b*c') }}", "a\\.b\\*c"),
        ("{{ regex_match('1+1=2', regex_escape('1+1')) }}", True),
    ],
)  # fmt: skip
def test_regex(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("one two  three", r"\s+"),
        ("a1b22c333", r"(\d)(\d)?"),
        ("aaa", r"a*"),
        ("x--y", r"-*"),
        ("The Cat sat", r"(?i)(c)at"),
    ],
)
def test_regex_agrees_with_python(text: str, pattern: str) -> None:
    scope = {"text": text, "pattern": pattern}
    assert ev("{{ regex_find_all(vars.text, vars.pattern) }}", vars=scope) == [
        list(m) if isinstance(m, tuple) else m for m in re.findall(pattern, text)
    ]
    assert ev("{{ regex_split(vars.text, vars.pattern) }}", vars=scope) == re.split(pattern, text)
    assert ev("{{ regex_replace(vars.text, vars.pattern, '<\\\\g<0>>') }}", vars=scope) == re.sub(
        pattern, r"<\g<0>>", text
    )


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ regex_match('a', '(a') }}", "regex_match: invalid regular expression '(a': missing ): (a"),
        ("{{ regex_match('a', '(?=a)') }}", "look-arounds and backreferences are not supported"),
        ("{{ regex_match('aa', '(a)\\\\1') }}", "look-arounds and backreferences are not supported"),
        ("{{ regex_match('a', 'a{2000}') }}", "invalid repetition size"),
        ("{{ regex_match('a', '[\\\\w\\\\W]{1,1000}' * 10) }}", "too complex"),
        ("{{ regex_match('a', 'a' * 3000) }}", "the pattern is longer than 2,000 characters"),
        ("{{ regex_match('a', 3) }}", "the pattern must be text, not 3"),
        ("{{ regex_match('a', 'a', 'x') }}", "flags must be letters among 'i', 'm' and 's'"),
        ("{{ regex_match(none, 'a') }}", "regex_match: null is not text"),
        ("{{ regex_match([1], 'a') }}", "regex_match: a list of 1 is not text"),
        ("{{ regex_replace('a', 'a', '\\\\3') }}", "the replacement names group '3', which the pattern lacks"),
        ("{{ regex_replace('a', '(a)', '\\\\g<x>') }}", "the replacement names group 'x'"),
        ("{{ regex_replace('a', 'a', '\\\\q') }}", "bad escape \\q in the replacement"),
        ("{{ regex_replace('a', 'a', 'b', -1) }}", "count must be a whole number"),
        ("{{ regex_split('a', 'a', 'x') }}", "maxsplit must be a whole number"),
    ],
)  # fmt: skip
def test_regex_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message, caught.value.message


def test_bad_patterns_are_not_logged_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ExpressionError):
        ev("{{ regex_match('a', '(unclosed') }}")
    assert "unclosed" not in capfd.readouterr().err


def test_compiled_patterns_are_cached_and_charged_once() -> None:
    patterns._cache.clear()
    first = patterns.compile_pattern("[a-z]+@example")
    assert patterns.compile_pattern("[a-z]+@example") is first
    assert patterns.compile_pattern("[a-z]+@example", "i") is not first
    assert patterns.compile_cost("a{1,1000}") > patterns.compile_cost("a+") * 100
    assert patterns.compile_cost("\\pL") > patterns.compile_cost("\\w")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ 'Ünïcödé & Friends!' | slugify }}", "unicode-friends"),
        ("{{ slugify('a b c d', max_length=3) }}", "a-b"),
        ("{{ slugify(2024) }}", "2024"),
        ("{{ 7 | pad_start(3) }}", "  7"),
        ("{{ 'abcd' | pad_start(2, '0') }}", "abcd"),
        ("{{ pad_end('a', 3, '-') }}", "a--"),
        ("{{ '  x  ' | trim_start }}", "x  "),
        ("{{ '  x  ' | trim_end }}", "  x"),
        ("{{ 'xxaxx' | trim_start('x') }}", "axx"),
        ("{{ 'Mail a@b.io, <c.d+e@f-g.example.org>; not@this' | extract_emails }}",
         ["a@b.io", "c.d+e@f-g.example.org"]),
        ("{{ extract_emails('a@b.io a@b.io') }}", ["a@b.io"]),
        ("{{ extract_urls('(see http://x.io/a_(b)?c=1). And HTTPS://Y.ORG!') }}",
         ["http://x.io/a_(b)?c=1", "HTTPS://Y.ORG"]),
        ("{{ extract_urls('no links here') }}", []),
        ("{{ 'HTTPServerError' | snake_case }}", "http_server_error"),
        ("{{ 'user-ID 42' | camel_case }}", "userId42"),
        ("{{ 'XMLHttpRequest' | kebab_case }}", "xml-http-request"),
        ("{{ 'über cool' | pascal_case }}", "ÜberCool"),
        ("{{ '' | snake_case }}", ""),
        ("{{ '__a__b__' | camel_case }}", "aB"),
        ("{{ format_text('{0}{1}{0}', 'a', 'b') }}", "aba"),
        ("{{ format_text('{{x}} {x}', x=1) }}", "{x} 1"),
        ("{{ format_text('{a.b[0]}', {'a': {'b': ['deep']}}) }}", "deep"),
        ("{{ format_text('{} {}', none, [1, 2]) }}", " [1,2]"),
        ("{{ format_text('{ x }', x=true) }}", "true"),
    ],
)  # fmt: skip
def test_text_helpers(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ slugify('x' * 20000) }}", "slugify: the text is longer than 10,000 characters"),
        ("{{ slugify('x', separator=1) }}", "slugify: the separator must be text"),
        ("{{ pad_start('a', 3, 'ab') }}", "pad_start: the fill must be one character, not 'ab'"),
        ("{{ pad_start('a', 'x') }}", "pad_start: the length must be a whole number"),
        ("{{ pad_end('a', 10**9) }}", "limit exceeded: pad_end: a length over 5,000,000"),
        ("{{ trim_start('a', 1) }}", "trim_start: chars must be text, not 1"),
        ("{{ format_text('{x:>10}', x=1) }}", "format_text: {x:>10}: format codes are not supported"),
        ("{{ format_text('{0.__class__}', json) }}", "format_text: no value for {0.__class__}"),
        ("{{ format_text('{__class__}', json) }}", "format_text: no value for {__class__}"),
        ("{{ format_text('{missing}', json) }}", "format_text: no value for {missing}"),
        ("{{ format_text('{2}', 'a') }}", "format_text: no value number 2 (there are 1)"),
        ("{{ format_text('a } b') }}", "format_text: a single '}' in the template"),
        ("{{ format_text(3) }}", "format_text: the template must be text, not 3"),
    ],
)  # fmt: skip
def test_text_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message, caught.value.message

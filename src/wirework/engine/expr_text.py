"""Costs of text work in expressions, and text filters that work in slices.

A C call over a big string holds the GIL until it returns, so the heavy ones (regex
filters, case mappings of non-ASCII text, word splitting) are done here slice by slice
(:data:`SLICE` characters, cut after whitespace when there is some), with the same result
as one call over the whole string. Costs are in the work units of
:mod:`wirework.engine.expr_budget` (about a nanosecond each) and are estimated from cheap C
counts before anything runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Final

__all__ = [
    "SLICE",
    "capitalize",
    "case_cost",
    "lower",
    "sliced_method",
    "split_cost",
    "striptags",
    "striptags_cost",
    "title",
    "title_cost",
    "wordcount",
    "wordcount_cost",
]

#: Characters per slice: a slice of the costliest filter takes a few milliseconds.
SLICE: Final = 1 << 16
_WORD: Final = re.compile(r"\w+")
_WORD_CHAR: Final = re.compile(r"\w")
#: Jinja's title: words start after these (jinja2.filters._word_beginning_split_re).
_TITLE_SPLIT: Final = re.compile(r"([-\s({\[<]+)")
_TITLE_SEPARATORS: Final = "-({[< \t\n\r\x0b\x0c"
_WORD_SEPARATORS: Final = " \t\n\r&;,.:<>/=-\"'()[]{}|"
_WHITESPACE: Final = " \t\n\r\x0b\x0c"


def _count(text: str, chars: str) -> int:
    return sum(text.count(char) for char in chars)


def case_cost(text: str) -> int:
    """upper/lower/casefold/swapcase/title/capitalize/is…: C loops, much slower per
    character outside ASCII."""
    return 5 * len(text) if text.isascii() else 25 * len(text)


#: String methods that map case character by character (done in slices).
CASE_METHODS: Final = frozenset({"upper", "lower", "casefold", "swapcase", "title"})
#: Units per character of string methods that are not a plain pass (CPython, measured).
_METHOD_PER_CHAR: Final = {
    "swapcase": 30, "title": 30, "capitalize": 20, "isalnum": 25, "isalpha": 25,
    "isdecimal": 25, "isdigit": 25, "isidentifier": 15, "islower": 25, "isnumeric": 25,
    "isspace": 25, "istitle": 25, "isupper": 25, "splitlines": 4,
}  # fmt: skip


def method_cost(text: str, name: str) -> int:
    """Units one call of ``str.<name>`` takes on ``text`` (arguments apart)."""
    if name in ("upper", "lower", "casefold"):
        return case_cost(text)
    if name == "splitlines":
        return 4 * len(text) + 100 * (text.count("\n") + text.count("\r"))
    return _METHOD_PER_CHAR.get(name, 2) * len(text) + 1


def can_slice(text: str, name: str) -> bool:
    """Whether ``str.<name>`` (a case method) can work on ``text`` slice by slice with the
    same result: the final-sigma rule of lower/swapcase/title looks at the neighbours."""
    return len(text) > SLICE and (name in ("upper", "casefold") or "Σ" not in text)


def can_split(text: str, separator: str | None) -> bool:
    """Whether split/rsplit (every piece) can work slice by slice: no separator (runs of
    whitespace) or a one-character one."""
    return len(text) > SLICE and (separator is None or len(separator) == 1)


def split(text: str, separator: str | None, check: Callable[[], None]) -> list[str]:
    """``text.split(separator)`` slice by slice (see :func:`can_split`)."""
    if separator is None:
        words: list[str] = []
        for previous, part in slices(text):
            check()
            found = part.split()
            if found and words and previous and not previous.isspace() and not part[0].isspace():
                words[-1] += found.pop(0)  # one word cut in two
            words += found
        return words
    pieces: list[str] = []
    start = 0
    while True:
        check()
        cut = text.find(separator, start + SLICE) if start + SLICE < len(text) else -1
        if cut < 0:
            pieces += text[start:].split(separator)
            return pieces
        pieces += text[start:cut].split(separator)
        start = cut + 1


def longest_word(text: str, check: Callable[[], None]) -> int:
    """The length of the longest run of non-whitespace, slice by slice."""
    longest = 0
    for word in split(text, None, check) if len(text) > SLICE else text.split():
        longest = max(longest, len(word))
    return longest


def split_cost(text: str, separator: str | None) -> int:
    """str.split/rsplit: a pass plus an object per piece."""
    pieces = _count(text, _WHITESPACE) if separator is None else text.count(separator)
    return 2 * len(text) + 100 * pieces + case_cost(text) // 4


def title_cost(text: str) -> int:
    return case_cost(text) + 10 * len(text) + 300 * _count(text, _TITLE_SEPARATORS)


def wordcount_cost(text: str) -> int:
    return 10 * len(text) + 200 * _count(text, _WORD_SEPARATORS)


def striptags_cost(text: str) -> int:
    """Cut out comments and tags (Python per tag), split and join the words, unescape
    entities (Python per entity)."""
    return 15 * len(text) + 300 * text.count("<") + 700 * text.count("&")


def slices(text: str) -> Iterator[tuple[str, str]]:
    """``(previous character, slice)``: ``text`` in slices of about :data:`SLICE`
    characters, cut just after a space when one comes soon (anywhere otherwise: every
    user of slices handles a word cut in two)."""
    size = len(text)
    start = 0
    while start < size:
        end = start + SLICE
        if end >= size:
            end = size
        else:
            space = text.find(" ", end, end + 4096)
            end = space + 1 if space >= 0 else end
        yield (text[start - 1] if start else ""), text[start:end]
        start = end


def _is_cased(char: str) -> bool:
    return char.islower() or char.isupper() or char.istitle()


def sliced_method(text: str, name: str, check: Callable[[], None]) -> str:
    """``getattr(text, name)()`` for upper/lower/casefold/swapcase/title, slice by slice.
    ``check`` runs between slices (it raises when the evaluation was cancelled)."""
    if not can_slice(text, name):
        return str(getattr(text, name)())
    parts = []
    for previous, part in slices(text):
        check()
        if name == "title" and previous and _is_cased(previous):
            parts.append(("a" + part).title()[1:])  # continue the word
        else:
            parts.append(getattr(part, name)())
    return "".join(parts)


def lower(text: str, check: Callable[[], None]) -> str:
    return sliced_method(text, "lower", check)


def capitalize(text: str, check: Callable[[], None]) -> str:
    """Jinja's capitalize: first character upper (title) case, the rest lower case."""
    if len(text) <= SLICE:
        return text.capitalize()
    return text[:1].capitalize() + lower(text[1:], check)


def _title_slice(text: str) -> str:
    return "".join(
        [item[0].upper() + item[1:].lower() for item in _TITLE_SPLIT.split(text) if item]
    )


def title(text: str, check: Callable[[], None]) -> str:
    """Jinja's ``title``: every word (after ``-``, whitespace, ``(``, ``{``, ``[``, ``<``)
    starts upper case, the rest is lower case."""
    if len(text) <= SLICE or "Σ" in text:
        return _title_slice(text)
    parts = []
    for previous, part in slices(text):
        check()
        if previous and previous not in _TITLE_SEPARATORS and part[0] not in _TITLE_SEPARATORS:
            parts.append(_title_slice("a" + part)[1:])  # continue the word
        else:
            parts.append(_title_slice(part))
    return "".join(parts)


def wordcount(text: str, check: Callable[[], None]) -> int:
    """Jinja's ``wordcount``: the number of ``\\w+`` runs."""
    total = 0
    for previous, part in slices(text):
        check()
        total += len(_WORD.findall(part))
        if previous and _WORD_CHAR.match(previous) and _WORD_CHAR.match(part):
            total -= 1  # one word cut in two
    return total


def _cut_out(text: str, opening: str, closing: str) -> str:
    """Remove every ``opening … closing`` (shortest, left to right), like
    ``re.sub(opening + '.*?' + closing, '', text, flags=re.S)``: Python per match, so
    other threads run in between."""
    if opening not in text:
        return text
    parts = []
    position = 0
    while True:
        start = text.find(opening, position)
        if start < 0:
            break
        end = text.find(closing, start + len(opening))
        if end < 0:
            break
        parts.append(text[position:start])
        position = end + len(closing)
    parts.append(text[position:])
    return "".join(parts)


def _words(text: str, check: Callable[[], None]) -> str:
    """``" ".join(text.split())`` slice by slice."""
    return " ".join(split(text, None, check) if len(text) > SLICE else text.split())


def striptags(text: str, check: Callable[[], None]) -> str:
    """Jinja's ``striptags`` in linear time and in slices: comments, then tags, are
    removed, whitespace runs become one space, entities are unescaped."""
    text = _cut_out(text, "<!--", "-->")
    check()
    text = _cut_out(text, "<", ">")
    check()
    return html.unescape(_words(text, check))

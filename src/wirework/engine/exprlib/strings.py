"""Strings: regular expressions (RE2: no pattern can backtrack), slugs, padding, trimming,
e-mail and URL extraction, case conversions and ``{name}`` formatting without templates.

Regex functions take ``flags``: letters among ``i`` (ignore case), ``m`` (``^``/``$`` at
every line) and ``s`` (``.`` matches newlines). Their results are plain data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from slugify import slugify as _slugify

from wirework.engine.expr_budget import MAX_VALUE_SIZE, LimitExceeded
from wirework.engine.expr_values import current_budget, to_text
from wirework.engine.exprlib import patterns
from wirework.engine.exprlib.paths import MISSING, get_path, parse_path
from wirework.engine.exprlib.patterns import compile_pattern, scan, text_of
from wirework.engine.exprlib.registry import Group, Registrar, show

register: Final = Registrar(Group.STRINGS)


def _cost_text(text: Any = None, *args: Any, **kwargs: Any) -> int:
    """A pass or two over the text in C."""
    return 3 * len(text) + 1_000 if isinstance(text, str) else 1_000


def _cost_regex(*args: Any, **kwargs: Any) -> int:
    """Encoding the text; the searches reserve and settle their own work."""
    text = args[0] if args else None
    return 2 * len(text) + 2_000 if isinstance(text, str) else 2_000


# --------------------------------------------------------------------------- regex


def _decode(data: bytes, span: tuple[int, int]) -> str | None:
    if span[0] < 0:
        return None
    return data[span[0] : span[1]].decode("utf-8")


def _char_offset(text: str, data: bytes, offset: int) -> int:
    return offset if text.isascii() else len(data[:offset].decode("utf-8"))


@register(
    "regex_match",
    "text, pattern, flags=''",
    "Whether the pattern occurs in the text (anchor it with ^…$ to match all of it).",
    examples=[
        ("{{ json.email | regex_match('^[^@]+@[^@]+$') }}", True),
        ("{{ regex_match('Order 66', 'order \\\\d+', 'i') }}", True),
    ],
    cost=_cost_regex,
    atomic=False,
)
def regex_match(text: Any, pattern: Any, flags: Any = "") -> bool:
    compiled = compile_pattern(pattern, flags)
    return next(scan(compiled, text_of(text).encode("utf-8"), limit=1), None) is not None


@register(
    "regex_search",
    "text, pattern, flags=''",
    "The first match as {match, groups, named, start, end}, or null.",
    examples=[
        (
            "{{ regex_search('Invoice 2024-05 paid', '(?P<year>\\\\d{4})-(\\\\d{2})') }}",
            {"match": "2024-05", "groups": ["2024", "05"], "named": {"year": "2024"},
             "start": 8, "end": 15},
        ),
        ("{{ 'abc' | regex_search('x') }}", None),
    ],
    cost=_cost_regex,
    atomic=False,
)  # fmt: skip
def regex_search(text: Any, pattern: Any, flags: Any = "") -> dict[str, Any] | None:
    compiled = compile_pattern(pattern, flags)
    value = text_of(text)
    data = value.encode("utf-8")
    spans = next(scan(compiled, data, limit=1), None)
    if spans is None:
        return None
    groups = [_decode(data, span) for span in spans[1:]]
    return {
        "match": _decode(data, spans[0]),
        "groups": groups,
        "named": {name: groups[index - 1] for index, name in compiled.names.items()},
        "start": _char_offset(value, data, spans[0][0]),
        "end": _char_offset(value, data, spans[0][1]),
    }


@register(
    "regex_find_all",
    "text, pattern, flags=''",
    "Every match: the matched text, or the group's text with one group, or a list of groups.",
    examples=[
        ("{{ 'a1 b22 c333' | regex_find_all('\\\\d+') }}", ["1", "22", "333"]),
        ("{{ regex_find_all('a=1, b=2', '(\\\\w)=(\\\\d)') }}", [["a", "1"], ["b", "2"]]),
    ],
    cost=_cost_regex,
    atomic=False,
)
def regex_find_all(text: Any, pattern: Any, flags: Any = "") -> list[Any]:
    compiled = compile_pattern(pattern, flags)
    data = text_of(text).encode("utf-8")
    budget = current_budget()
    found: list[Any] = []
    total = 0
    for spans in scan(compiled, data):
        if compiled.groups == 0:
            item: Any = _decode(data, spans[0])
        elif compiled.groups == 1:
            item = _decode(data, spans[1]) or ""
        else:
            item = [_decode(data, span) or "" for span in spans[1:]]
        total += 1 + spans[0][1] - spans[0][0]
        budget.check_size(total)
        found.append(item)
    return found


_TEMPLATE: Final = re.compile(r"\\(?:g<([^<>]*)>|(\d{1,2})|(.))", re.S)
_ESCAPES: Final = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def _template(compiled: patterns.Pattern, replacement: str) -> list[str | int]:
    """``'\\1 and \\g<name>'`` → ['', 1, ' and ', 2]: text and group numbers in turn."""
    by_name = {name: index for index, name in compiled.names.items()}
    pieces: list[str | int] = []
    literal = ""
    position = 0
    for found in _TEMPLATE.finditer(replacement):
        literal += replacement[position : found.start()]
        position = found.end()
        named, number, other = found.groups()
        if other is not None:
            if other not in _ESCAPES:
                raise ValueError(f"bad escape \\{other} in the replacement (write \\\\ for \\)")
            literal += _ESCAPES[other]
            continue
        reference = named if named is not None else number
        group = int(reference) if reference.isdigit() else by_name.get(reference, -1)
        if not 0 <= group <= compiled.groups:
            raise ValueError(f"the replacement names group {reference!r}, which the pattern lacks")
        pieces += [literal, group]
        literal = ""
    pieces.append(literal + replacement[position:])
    return pieces


@register(
    "regex_replace",
    "text, pattern, replacement, count=0, flags=''",
    "The text with matches replaced (\\1 or \\g<name> insert groups); count limits how many.",
    examples=[
        ("{{ 'a  b   c' | regex_replace('\\\\s+', ' ') }}", "a b c"),
        ("{{ regex_replace('2024-05-17', '(\\\\d+)-(\\\\d+)-(\\\\d+)', '\\\\3.\\\\2.\\\\1') }}",
         "17.05.2024"),
    ],
    cost=_cost_regex,
    atomic=False,
)  # fmt: skip
def regex_replace(
    text: Any, pattern: Any, replacement: Any, count: Any = 0, flags: Any = ""
) -> str:
    compiled = compile_pattern(pattern, flags)
    if not isinstance(replacement, str):
        replacement = text_of(replacement)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a whole number, not {show(count)}")
    template = _template(compiled, replacement)
    data = text_of(text).encode("utf-8")
    budget = current_budget()
    pieces: list[bytes] = []
    size = 0
    end = 0
    for spans in scan(compiled, data, limit=count):
        pieces.append(data[end : spans[0][0]])
        for index, piece in enumerate(template):
            if index % 2:
                start, stop = spans[piece]  # type: ignore[index]
                pieces.append(data[start:stop] if start >= 0 else b"")
            else:
                pieces.append(piece.encode("utf-8"))  # type: ignore[union-attr]
        size += sum(len(piece) for piece in pieces[-len(template) - 1 :])
        budget.check_size(size)
        end = spans[0][1]
    pieces.append(data[end:])
    budget.check_size(size + len(data) - end)
    budget.charge(sum(map(len, pieces)) + 20 * len(pieces))
    return b"".join(pieces).decode("utf-8")


@register(
    "regex_split",
    "text, pattern, maxsplit=0, flags=''",
    "The text split at every match (groups in the pattern are kept in the result).",
    examples=[("{{ 'a, b;c' | regex_split('[,;]\\\\s*') }}", ["a", "b", "c"])],
    cost=_cost_regex,
    atomic=False,
)
def regex_split(text: Any, pattern: Any, maxsplit: Any = 0, flags: Any = "") -> list[str | None]:
    compiled = compile_pattern(pattern, flags)
    if isinstance(maxsplit, bool) or not isinstance(maxsplit, int) or maxsplit < 0:
        raise ValueError(f"maxsplit must be a whole number, not {show(maxsplit)}")
    data = text_of(text).encode("utf-8")
    budget = current_budget()
    pieces: list[str | None] = []
    end = 0
    for spans in scan(compiled, data, limit=maxsplit):
        pieces.append(data[end : spans[0][0]].decode("utf-8"))
        pieces += [_decode(data, span) for span in spans[1:]]
        budget.check_size(len(pieces))
        end = spans[0][1]
    pieces.append(data[end:].decode("utf-8"))
    return pieces


@register(
    "regex_escape",
    "text",
    "The text with every regex special character escaped, to match it literally.",
    examples=[("{{ regex_escape('1+1=2?') }}", "1\\+1\\=2\\?")],
    cost=lambda text=None, *a, **k: _cost_text(text) + (len(text) if isinstance(text, str) else 0),
)
def regex_escape(text: Any) -> str:
    return patterns.escape(text_of(text))


_EMAIL: Final = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_URL: Final = r"(?i)\b(?:https?://|www\.)[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}]"


def _extract(text: Any, pattern: str) -> list[str]:
    found: list[str] = []
    for item in regex_find_all(text, pattern):
        if item not in found:
            found.append(item)
    return found


@register(
    "extract_emails",
    "text",
    "The e-mail addresses in a text, each once, in order.",
    examples=[
        ("{{ 'Write to ada@example.com or bob@test.org.' | extract_emails }}",
         ["ada@example.com", "bob@test.org"]),
    ],
    cost=_cost_regex,
    atomic=False,
)  # fmt: skip
def extract_emails(text: Any) -> list[str]:
    return _extract(text, _EMAIL)


@register(
    "extract_urls",
    "text",
    "The http(s) and www. URLs in a text, each once, in order.",
    examples=[
        ("{{ extract_urls('See https://example.com/a?b=1, or www.test.org.') }}",
         ["https://example.com/a?b=1", "www.test.org"]),
    ],
    cost=_cost_regex,
    atomic=False,
)  # fmt: skip
def extract_urls(text: Any) -> list[str]:
    return _extract(text, _URL)


# --------------------------------------------------------------------------- text

MAX_SLUG_INPUT: Final = 10_000


def _cost_slug(text: Any) -> int:
    """Python and regex passes, and a transliteration per non-ASCII character."""
    if not isinstance(text, str) or len(text) > MAX_SLUG_INPUT:
        return 5_000  # refused before any work
    return (200 if text.isascii() else 1_000) * len(text) + 5_000


@register(
    "slugify",
    "text, separator='-', max_length=0",
    "Lower-case ASCII words joined by separator, for URLs and file names.",
    examples=[
        ("{{ 'Héllo, Wörld!' | slugify }}", "hello-world"),
        ("{{ slugify('Q3 Report (final)', '_') }}", "q3_report_final"),
    ],
    cost=lambda text=None, *a, **k: _cost_slug(text),
)
def slugify(text: Any, separator: Any = "-", max_length: Any = 0) -> str:
    value = text_of(text)
    if len(value) > MAX_SLUG_INPUT:
        raise ValueError(f"the text is longer than {MAX_SLUG_INPUT:,} characters")
    if not isinstance(separator, str) or len(separator) > 10:
        raise ValueError("the separator must be text of at most 10 characters")
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
        raise ValueError(f"max_length must be a whole number, not {show(max_length)}")
    return str(_slugify(value, separator=separator, max_length=max_length))


def _width(length: Any) -> int:
    if isinstance(length, bool) or not isinstance(length, int):
        raise ValueError(f"the length must be a whole number, not {show(length)}")
    if length > MAX_VALUE_SIZE:
        raise LimitExceeded(f"a length over {MAX_VALUE_SIZE:,}")
    return length


def _fill(char: Any) -> str:
    if not isinstance(char, str) or len(char) != 1:
        raise ValueError(f"the fill must be one character, not {show(char)}")
    return char


def _cost_pad(text: Any = None, length: Any = 0, *args: Any, **kwargs: Any) -> int:
    width = length if isinstance(length, int) and 0 < length <= MAX_VALUE_SIZE else 0
    return _cost_text(text) + width


@register(
    "pad_start",
    "text, length, fill=' '",
    "The text with fill added in front up to length characters.",
    examples=[("{{ 42 | pad_start(5, '0') }}", "00042")],
    cost=_cost_pad,
)
def pad_start(text: Any, length: Any, fill: Any = " ") -> str:
    return text_of(text).rjust(_width(length), _fill(fill))


@register(
    "pad_end",
    "text, length, fill=' '",
    "The text with fill added after it up to length characters.",
    examples=[("{{ 'ab' | pad_end(4, '.') }}", "ab..")],
    cost=_cost_pad,
)
def pad_end(text: Any, length: Any, fill: Any = " ") -> str:
    return text_of(text).ljust(_width(length), _fill(fill))


def _chars(chars: Any) -> str | None:
    if chars is None or isinstance(chars, str):
        return chars
    raise ValueError(f"chars must be text, not {show(chars)}")


@register(
    "trim_start",
    "text, chars=None",
    "The text without leading whitespace (or leading characters among chars).",
    examples=[("{{ '00120' | trim_start('0') }}", "120")],
    cost=_cost_text,
)
def trim_start(text: Any, chars: Any = None) -> str:
    return text_of(text).lstrip(_chars(chars))


@register(
    "trim_end",
    "text, chars=None",
    "The text without trailing whitespace (or trailing characters among chars).",
    examples=[("{{ 'file.txt...' | trim_end('.') }}", "file.txt")],
    cost=_cost_text,
)
def trim_end(text: Any, chars: Any = None) -> str:
    return text_of(text).rstrip(_chars(chars))


_WORDS: Final = re.compile(r"[^\W_]+")
_CAMEL: Final = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[^\W_]+")


def _words(text: Any) -> list[str]:
    return [part for word in _WORDS.findall(text_of(text)) for part in _CAMEL.findall(word)]


def _cost_case(text: Any = None, *args: Any, **kwargs: Any) -> int:
    return 80 * len(text) + 1_000 if isinstance(text, str) else 1_000


@register(
    "snake_case",
    "text",
    "Words in lower case joined by underscores.",
    examples=[
        ("{{ 'Order ID' | snake_case }}", "order_id"),
        ("{{ snake_case('userName') }}", "user_name"),
    ],
    cost=_cost_case,
)
def snake_case(text: Any) -> str:
    return "_".join(word.lower() for word in _words(text))


@register(
    "kebab_case",
    "text",
    "Words in lower case joined by hyphens.",
    examples=[("{{ 'Order ID' | kebab_case }}", "order-id")],
    cost=_cost_case,
)
def kebab_case(text: Any) -> str:
    return "-".join(word.lower() for word in _words(text))


@register(
    "camel_case",
    "text",
    "Words joined, each capitalised but the first (orderId).",
    examples=[
        ("{{ 'order id' | camel_case }}", "orderId"),
        ("{{ camel_case('HTTP status') }}", "httpStatus"),
    ],
    cost=_cost_case,
)
def camel_case(text: Any) -> str:
    words = _words(text)
    return "".join([words[0].lower()] + [w.capitalize() for w in words[1:]]) if words else ""


@register(
    "pascal_case",
    "text",
    "Words joined, each capitalised (OrderId).",
    examples=[("{{ 'order id' | pascal_case }}", "OrderId")],
    cost=_cost_case,
)
def pascal_case(text: Any) -> str:
    return "".join(word.capitalize() for word in _words(text))


_FIELD: Final = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def _cost_format(template: Any = None, *args: Any, **kwargs: Any) -> int:
    size = current_budget().size(args) + current_budget().size(kwargs)
    return 30 * len(template) + 20 * size + 1_000 if isinstance(template, str) else 1_000


@register(
    "format_text",
    "template, *values, **named",
    "Fills {} / {0} / {name} / {a.b} in a text with values (no format codes; {{ is a brace).",
    examples=[
        ("{{ format_text('{} has {} orders', json.name, json.orders | length) }}",
         "Ada Lovelace has 3 orders"),
        ("{{ format_text('Dear {name} <{email}>', json) }}", "Dear Ada Lovelace <ada@example.com>"),
    ],
    cost=_cost_format,
    notes="Inside {{ … }} write the braces of the template as usual: the expression's own "
    "braces are the outer ones. A single object as the only value provides the names.",
)  # fmt: skip
def format_text(template: Any, *values: Any, **named: Any) -> str:
    if not isinstance(template, str):
        raise ValueError(f"the template must be text, not {show(template)}")
    names: Mapping[str, Any] = named
    if not named and len(values) == 1 and isinstance(values[0], Mapping):
        names = values[0]
    budget = current_budget()
    parts: list[str] = []
    size = 0
    automatic = 0
    position = 0
    for found in _FIELD.finditer(template):
        literal = template[position : found.start()]
        parts.append(literal)
        size += len(literal)
        position = found.end()
        token = found.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
            continue
        if found.group(1) is None:
            raise ValueError(f"a single {token!r} in the template (write {token * 2} for one)")
        field = found.group(1).strip()
        if any(char in field for char in ":!"):
            raise ValueError(f"{{{field}}}: format codes are not supported (see format_number)")
        if field == "":
            value = _positional(values, automatic)
            automatic += 1
        elif field.isdigit():
            value = _positional(values, int(field))
        else:
            value = get_path(names, parse_path(field))
            if value is MISSING:
                raise ValueError(f"no value for {{{field}}}")
        text = to_text(value)
        size += len(text)
        budget.check_size(size)
        parts.append(text)
    parts.append(template[position:])
    return "".join(parts)


def _positional(values: tuple[Any, ...], index: int) -> Any:
    if index >= len(values):
        raise ValueError(f"no value number {index} (there are {len(values)})")
    return values[index]

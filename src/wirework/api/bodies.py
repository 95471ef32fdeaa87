"""Reading request bodies: a size cap before anything parses them, and a strict JSON parser
for bodies from outside (webhooks, the /api).

:func:`parse_json` accepts only JSON that every later stage can hold (the engine, the
database, the JSON answer): UTF-8 text, nested at most :data:`MAX_JSON_DEPTH` levels (checked
on the raw bytes before parsing, so deep input never reaches a recursive parser), numbers
that are finite (no ``NaN``, ``Infinity``, ``-Infinity`` or ``1e999``) with integers of at
most :data:`MAX_INT_DIGITS` digits, and strings without lone UTF-16 surrogates
(``"\\ud800"``, which no database or UTF-8 output can hold). Anything else raises
:class:`BadJson` with a message for the client.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.requests import Request

#: Deepest nesting of arrays and objects accepted in a JSON body.
MAX_JSON_DEPTH = 64
#: Most digits of an integer in a JSON body (64-bit integers have at most 20).
MAX_INT_DIGITS = 100


class BodyTooLarge(Exception):
    """The body (declared or as sent) is larger than the cap."""


class BadContentLength(Exception):
    """The Content-Length header is not a number."""


class BadJson(ValueError):
    """The body is not JSON we accept; the message says why (safe to show the client)."""


async def read_capped(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed ``limit`` bytes: from a
    declared Content-Length at once, else while it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BadContentLength(declared)
        if int(declared) > limit:
            raise BodyTooLarge(limit)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


# An escape that may be a UTF-16 surrogate (then the parsed strings are checked).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Keep only brackets (all as [ and ]) and quotes.
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'[]{}"')


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the arrays and objects of JSON text nest deeper than ``limit``, found without
    parsing it and without recursion: strings are dropped, then innermost bracket pairs are
    removed at most ``limit`` times (C string operations; a count answers small bodies).
    Unbalanced input counts its unclosed brackets, so a parser never recurses deeper than
    twice the limit on what passes."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    if b"\\" in raw:  # escaped backslashes, then escaped quotes, are not structure
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Strings without brackets become "" and go (two quotes side by side are an empty
    # string or the end of one and the start of the next: dropping them keeps the pairing).
    brackets = raw.translate(_AS_SQUARE, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])  # outside strings
    for _ in range(limit):
        inner_removed = brackets.replace(b"[]", b"")
        if len(inner_removed) == len(brackets):
            break
        brackets = inner_removed
    return b"[]" in brackets or brackets.count(b"[") > limit


def _reject_constant(name: str) -> Any:
    raise BadJson(f"{name} is not allowed (JSON numbers are finite)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(f"the number {text[:30]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadJson(f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _bad_string(value: Any) -> str | None:
    """Why a string (key or value) in the parsed value is not text, or None. Iterative: the
    value may be as deep as the limit allows."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
    return None


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse a JSON body strictly (see the module's docstring); raises BadJson."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJson(f"not valid UTF-8 (byte {exc.start})") from None
    if nested_deeper_than(raw, max_depth):
        raise BadJson(f"nested deeper than {max_depth} levels")
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except BadJson:
        raise
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BadJson(f"not valid JSON: {exc.msg} ({where})") from None
    except (ValueError, RecursionError) as exc:
        raise BadJson(f"not valid JSON: {exc}") from None
    if _SURROGATE_ESCAPE.search(raw) is not None:
        problem = _bad_string(value)
        if problem is not None:
            raise BadJson(problem)
    return value

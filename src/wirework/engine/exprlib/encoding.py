"""Encoding, hashing and ids: base64 (standard and URL-safe), URL encoding and parsing, hex,
MD5/SHA hashes, HMAC, UUID v4 and v7, random numbers and choices.

Text is hashed and encoded as UTF-8; numbers as their text; lists and objects as their
compact JSON. ``uuid4``, ``random_int`` and ``random_choice`` are for ids and sampling,
**not for secrets** (tokens, passwords): those belong in credentials.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac as hmaclib
import random
import uuid
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl, quote, quote_plus, unquote, unquote_plus, urlsplit

import uuid6

from wirework.engine.expr_values import current_budget, to_json, to_native
from wirework.engine.exprlib.registry import Group, Registrar, show

register: Final = Registrar(Group.ENCODING)

_HASHES: Final = ("md5", "sha1", "sha256", "sha512")
_random = random.Random()


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, (int, float)):
        return str(value).encode()
    if isinstance(value, (list, tuple, Mapping)):
        return str(to_json(to_native(value))).encode("utf-8")
    raise ValueError(f"{show(value)} cannot be encoded (pass text, a number, a list or an object)")


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"the {what} bytes are not UTF-8 text") from None


def _input(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"{show(value)} is not text")


def _cost_bytes(per: int) -> Any:
    def cost(value: Any = None, *args: Any, **kwargs: Any) -> int:
        if isinstance(value, str):
            size = len(value) if value.isascii() else 4 * len(value)
        else:
            size = current_budget().size(value)
        return per * size + 1_000

    return cost


@register(
    "base64_encode",
    "value",
    "Base64 of a text (as UTF-8), a number, or a list or object (as JSON).",
    examples=[("{{ 'hello' | base64_encode }}", "aGVsbG8=")],
    cost=_cost_bytes(4),
)
def base64_encode(value: Any) -> str:
    return base64.b64encode(_bytes(value)).decode("ascii")


@register(
    "base64_decode",
    "text",
    "The UTF-8 text that base64 text encodes.",
    examples=[("{{ base64_decode('aGVsbG8=') }}", "hello")],
    cost=_cost_bytes(4),
)
def base64_decode(text: Any) -> str:
    try:
        data = base64.b64decode(_input(text).strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not valid base64 ({exc})") from None
    return _text(data, "decoded")


@register(
    "base64url_encode",
    "value",
    "URL-safe base64 (- and _ instead of + and /) without padding, as in JWTs.",
    examples=[("{{ base64url_encode('<<?>>') }}", "PDw_Pj4")],
    cost=_cost_bytes(4),
)
def base64url_encode(value: Any) -> str:
    return base64.urlsafe_b64encode(_bytes(value)).decode("ascii").rstrip("=")


@register(
    "base64url_decode",
    "text",
    "The UTF-8 text that URL-safe base64 text encodes (padding optional).",
    examples=[("{{ 'PDw_Pj4' | base64url_decode }}", "<<?>>")],
    cost=_cost_bytes(4),
)
def base64url_decode(text: Any) -> str:
    value = _input(text).strip()
    if "+" in value or "/" in value:
        raise ValueError("not valid URL-safe base64 (+ and / belong to standard base64)")
    value += "=" * (-len(value) % 4)
    try:
        data = base64.b64decode(value, altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not valid URL-safe base64 ({exc})") from None
    return _text(data, "decoded")


@register(
    "url_encode",
    "text, plus=False",
    "Percent-encodes every character but letters, digits and -._~ (plus=true: spaces as +).",
    examples=[
        ("{{ 'a b&c/d' | url_encode }}", "a%20b%26c%2Fd"),
        ("{{ url_encode('a b', plus=true) }}", "a+b"),
    ],
    cost=_cost_bytes(80),
    atomic=False,
)
def url_encode(text: Any, plus: Any = False) -> str:
    value = _bytes(text).decode("utf-8")
    return quote_plus(value, safe="") if plus else quote(value, safe="")


@register(
    "url_decode",
    "text, plus=False",
    "Decodes percent-encoding (plus=true: + as a space, as in forms).",
    examples=[
        ("{{ 'a%20b%26c' | url_decode }}", "a b&c"),
        ("{{ url_decode('a+b', true) }}", "a b"),
    ],
    cost=_cost_bytes(60),
    atomic=False,
)
def url_decode(text: Any, plus: Any = False) -> str:
    value = _input(text)
    return unquote_plus(value) if plus else unquote(value)


_MAX_URL: Final = 100_000


@register(
    "url_parse",
    "url",
    "The parts of a URL: scheme, host, port, path, query (an object), fragment.",
    examples=[
        (
            "{{ url_parse('https://example.com:8080/a/b?x=1&y=2&y=3#top') }}",
            {"scheme": "https", "host": "example.com", "port": 8080, "path": "/a/b",
             "query": {"x": "1", "y": ["2", "3"]}, "fragment": "top", "username": None},
        ),
        ("{{ (json.website | url_parse).host }}", "ada.example.org"),
    ],
    cost=_cost_bytes(150),
    atomic=False,
)  # fmt: skip
def url_parse(url: Any) -> dict[str, Any]:
    value = _input(url)
    if len(value) > _MAX_URL:
        raise ValueError(f"a URL longer than {_MAX_URL:,} characters")
    parts = urlsplit(value.strip())
    query: dict[str, Any] = {}
    for key, item in parse_qsl(parts.query, keep_blank_values=True, max_num_fields=10_000):
        if key in query:
            previous = query[key]
            query[key] = [*previous, item] if isinstance(previous, list) else [previous, item]
        else:
            query[key] = item
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{show(url)} has an invalid port") from None
    return {
        "scheme": parts.scheme,
        "host": parts.hostname or "",
        "port": port,
        "path": parts.path,
        "query": query,
        "fragment": parts.fragment,
        "username": parts.username,
    }


@register(
    "hex_encode",
    "value",
    "Hexadecimal of a text's UTF-8 bytes (or of a number's or JSON's text).",
    examples=[("{{ 'Hi!' | hex_encode }}", "486921")],
    cost=_cost_bytes(4),
)
def hex_encode(value: Any) -> str:
    return _bytes(value).hex()


@register(
    "hex_decode",
    "text",
    "The UTF-8 text that hexadecimal text encodes.",
    examples=[("{{ hex_decode('486921') }}", "Hi!")],
    cost=_cost_bytes(4),
)
def hex_decode(text: Any) -> str:
    try:
        data = bytes.fromhex(_input(text).strip())
    except ValueError:
        raise ValueError(f"{show(text)} is not hexadecimal") from None
    return _text(data, "decoded")


def _encoded(digest: bytes, encoding: Any) -> str:
    if encoding == "hex":
        return digest.hex()
    if encoding == "base64":
        return base64.b64encode(digest).decode("ascii")
    raise ValueError(f"encoding must be 'hex' or 'base64', not {show(encoding)}")


def _declare_hash(name: str, example: str) -> None:
    def digest(value: Any, encoding: Any = "hex") -> str:
        return _encoded(hashlib.new(name, _bytes(value)).digest(), encoding)

    digest.__name__ = name
    register(
        name,
        "value, encoding='hex'",
        f"The {name.upper()} hash of a value, as hex (or base64).",
        examples=[(f"{{{{ 'abc' | {name} }}}}", example)],
        cost=_cost_bytes(3),
        notes="MD5 and SHA-1 are broken for security: use them for checksums and ids only."
        if name in ("md5", "sha1")
        else "",
    )(digest)


_declare_hash("md5", "900150983cd24fb0d6963f7d28e17f72")
_declare_hash("sha1", "a9993e364706816aba3e25717850c26c9cd0d89d")
_declare_hash("sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
_declare_hash(
    "sha512",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
    "454d4423643ce80e2a9ac94fa54ca49f",
)


@register(
    "hmac",
    "value, key, algorithm='sha256', encoding='hex'",
    "The HMAC of a value with a key (md5, sha1, sha256 or sha512), as hex (or base64).",
    examples=[
        ("{{ hmac('message', 'secret') }}",
         "8b5f48702995c1598c573db1e21866a9b825d4a794d169d7060a03605796360b"),
        ("{{ 'message' | hmac('secret', 'sha1', 'base64') }}", "DK9kn+7klT2Hv5A6wRdsReAo3xY="),
    ],
    cost=lambda value=None, key=None, *a, **k: _cost_bytes(8)(value) + _cost_bytes(8)(key),
    notes="To check a webhook's signature, compare with the header's value; the key usually "
    "comes from the trigger's data, never write a real secret into a workflow.",
)  # fmt: skip
def hmac(value: Any, key: Any, algorithm: Any = "sha256", encoding: Any = "hex") -> str:
    if algorithm not in _HASHES:
        raise ValueError(f"algorithm must be one of {', '.join(_HASHES)}, not {show(algorithm)}")
    return _encoded(hmaclib.new(_bytes(key), _bytes(value), algorithm).digest(), encoding)


@register(
    "uuid4",
    "",
    "A random UUID (version 4), as text. Not for secrets.",
    examples=[("{{ uuid4() | length }}", 36), ("{{ uuid4()[14] }}", "4")],
    forms="function",
)
def uuid4() -> str:
    return str(uuid.uuid4())


@register(
    "uuid7",
    "",
    "A time-ordered UUID (version 7): ids made later sort later. Not for secrets.",
    examples=[("{{ uuid7()[14] }}", "7"), ("{{ uuid7() | length }}", 36)],
    forms="function",
)
def uuid7() -> str:
    return str(uuid6.uuid7())


@register(
    "random_int",
    "low, high",
    "A random whole number from low to high, both included. Not for secrets.",
    examples=[("{{ random_int(1, 6) in range(1, 7) }}", True), ("{{ random_int(5, 5) }}", 5)],
    forms="function",
)
def random_int(low: Any, high: Any) -> int:
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{show(value)} is not a whole number")
    if low > high:
        raise ValueError(f"low ({low}) is greater than high ({high})")
    return _random.randint(low, high)


@register(
    "random_choice",
    "list",
    "A random element of a list. Not for secrets.",
    examples=[
        ("{{ random_choice(['only']) }}", "only"),
        ("{{ json.tags | random_choice in json.tags }}", True),
    ],
)
def random_choice(value: Any) -> Any:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"{show(value)} is not a list with elements")
    return _random.choice(value)

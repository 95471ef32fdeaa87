"""Encoding, hashing and ids, checked against the standard library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Any

import pytest

from tests.engine.exprlib.conftest import ev
from wirework.engine.expressions import ExpressionError

TEXTS = ["", "hello", "héllo wörld ✓", "a/b?c=d&e f", '{"k": [1, 2]}']


@pytest.mark.parametrize("text", TEXTS)
def test_round_trips_and_the_standard_library_agree(text: str) -> None:
    data = text.encode()
    scope = {"t": text}
    assert ev("{{ vars.t | base64_encode }}", vars=scope) == base64.b64encode(data).decode()
    assert ev("{{ vars.t | base64_encode | base64_decode }}", vars=scope) == text
    assert ev("{{ vars.t | base64url_encode }}", vars=scope) == (
        base64.urlsafe_b64encode(data).decode().rstrip("=")
    )
    assert ev("{{ vars.t | base64url_encode | base64url_decode }}", vars=scope) == text
    assert ev("{{ vars.t | url_encode | url_decode }}", vars=scope) == text
    assert ev("{{ vars.t | url_encode(plus=true) | url_decode(plus=true) }}", vars=scope) == text
    assert ev("{{ vars.t | hex_encode }}", vars=scope) == data.hex()
    assert ev("{{ vars.t | hex_encode | hex_decode }}", vars=scope) == text
    for name in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(name, data).digest()
        assert ev(f"{{{{ vars.t | {name} }}}}", vars=scope) == digest.hex()
        assert ev(f"{{{{ {name}(vars.t, 'base64') }}}}", vars=scope) == (
            base64.b64encode(digest).decode()
        )
        expected = hmac.new(b"key", data, name).hexdigest()
        assert ev(f"{{{{ hmac(vars.t, 'key', '{name}') }}}}", vars=scope) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ sha256(42) == sha256('42') }}", True),
        ("{{ sha256(true) == sha256('true') }}", True),
        ("{{ md5({'b': 1, 'a': [1]}) == md5('{\"b\":1,\"a\":[1]}') }}", True),
        ("{{ base64_decode(' aGk= ') }}", "hi"),
        ("{{ base64url_decode('aGk') }}", "hi"),
        ("{{ 'a b' | url_encode }}", "a%20b"),
        ("{{ 'é/?' | url_encode }}", "%C3%A9%2F%3F"),
        ("{{ url_parse('http://u:p@h/') }}",
         {"scheme": "http", "host": "h", "port": None, "path": "/", "query": {},
          "fragment": "", "username": "u"}),
        ("{{ url_parse('/relative?a=&b=2').query }}", {"a": "", "b": "2"}),
        ("{{ url_parse('https://Example.COM').host }}", "example.com"),
    ],
)  # fmt: skip
def test_encoding_details(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_ids_and_random_values() -> None:
    four = ev("{{ uuid4() }}")
    assert uuid.UUID(four).version == 4
    seven = [ev("{{ uuid7() }}") for _ in range(3)]
    assert all(uuid.UUID(value).version == 7 for value in seven)
    assert len(set(seven)) == 3
    assert ev("{{ uuid4() != uuid4() }}") is True
    rolls = {ev("{{ random_int(1, 3) }}") for _ in range(200)}
    assert rolls == {1, 2, 3}
    assert ev("{{ random_int(-2, -2) }}") == -2
    picks = {ev("{{ random_choice(['a', 'b']) }}") for _ in range(200)}
    assert picks == {"a", "b"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ base64_decode('not base64!') }}", "base64_decode: not valid base64"),
        ("{{ base64_decode('/w==') }}", "base64_decode: the decoded bytes are not UTF-8 text"),
        ("{{ base64url_decode('a+b/') }}", "base64url_decode: not valid URL-safe base64"),
        ("{{ base64_encode(none) }}", "base64_encode: null cannot be encoded"),
        ("{{ base64_encode(range) }}", "cannot be encoded"),
        ("{{ hex_decode('zz') }}", "hex_decode: 'zz' is not hexadecimal"),
        ("{{ hex_decode('ff') }}", "hex_decode: the decoded bytes are not UTF-8 text"),
        ("{{ sha256('a', 'base32') }}", "sha256: encoding must be 'hex' or 'base64', not 'base32'"),
        ("{{ hmac('a', 'k', 'sha3') }}", "hmac: algorithm must be one of md5, sha1, sha256, sha512"),
        ("{{ hmac('a') }}", "hmac: missing a required argument: 'key'"),
        ("{{ url_decode(5) }}", "url_decode: 5 is not text"),
        ("{{ url_parse('http://h:99999/') }}", "url_parse: 'http://h:99999/' has an invalid port"),
        ("{{ uuid4(1) }}", "uuid4: too many positional arguments"),
        ("{{ random_int(2, 1) }}", "random_int: low (2) is greater than high (1)"),
        ("{{ random_int(1.5, 2) }}", "random_int: 1.5 is not a whole number"),
        ("{{ random_choice([]) }}", "random_choice: a list of 0 is not a list with elements"),
    ],
)  # fmt: skip
def test_encoding_errors(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(source)
    assert message in caught.value.message, caught.value.message


def test_ids_and_random_are_functions_only() -> None:
    with pytest.raises(ExpressionError, match="No filter named 'uuid4'"):
        ev("{{ 1 | uuid4 }}")

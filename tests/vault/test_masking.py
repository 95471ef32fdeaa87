"""Masking secrets for display and redacting them from log events."""

from __future__ import annotations

import pytest

from wirework.vault import MASK
from wirework.vault.masking import is_secret_key, mask_url, redact
from wirework.vault.redaction import known


def test_mask_constant() -> None:
    assert MASK == "********"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:pw@h/db", f"postgresql://u:{MASK}@h/db"),
        ("postgresql+asyncpg://u:pw@h:5432/db", f"postgresql+asyncpg://u:{MASK}@h:5432/db"),
        ("mysql://root:p%40ss@h/db?charset=utf8mb4", f"mysql://root:{MASK}@h/db?charset=utf8mb4"),
        ("redis://:pw@h:6379/0", f"redis://:{MASK}@h:6379/0"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_mask_url(url: str, expected: str) -> None:
    assert mask_url(url) == expected


@pytest.mark.parametrize(
    "url", ["not a url", "://pw@", "amqp://user:pw@[::1", "http://user:pw@host:notaport/x"]
)
def test_mask_url_unparseable_is_fully_masked(url: str) -> None:
    assert mask_url(url) == MASK


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "Password",
        "passwd",
        "db_pass",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "api_key",
        "apiKey",
        "x-api-key",
        "Authorization",
        "credentials",
        "cookie",
        "Set-Cookie",
        "private_key",
        "signature",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["name", "url", "email", "host", "port", "event", "level"])
def test_non_secret_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_nested() -> None:
    event = {
        "event": "request",
        "password": "hunter2",
        "headers": {"Authorization": "Bearer abc", "Accept": "json"},
        "items": [{"api_key": "k1", "n": 1}, ("x", {"token": "t"})],
        "empty_secret": "",
        "count": 3,
    }
    out = redact(event)
    assert out["password"] == MASK
    assert out["headers"] == {"Authorization": MASK, "Accept": "json"}
    assert out["items"][0] == {"api_key": MASK, "n": 1}
    assert out["items"][1][1] == {"token": MASK}
    # Nothing to hide in an empty value; other values unchanged.
    assert out["empty_secret"] == ""
    assert out["count"] == 3 and out["event"] == "request"
    # The input is not modified.
    assert event["password"] == "hunter2"
    assert "hunter2" not in repr(out) and "Bearer abc" not in repr(out)


def test_redact_non_mappings_unchanged() -> None:
    known.clear()  # other tests' fake secrets are known to this process (e.g. "password")
    assert redact("password") == "password"
    assert redact(5) == 5
    assert redact(None) is None


def test_redact_deep_nesting_terminates() -> None:
    value: dict = {"password": "p"}
    for _ in range(50):
        value = {"inner": value}
    redact(value)  # does not recurse without bound

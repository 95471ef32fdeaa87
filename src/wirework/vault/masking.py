"""Masking secrets for display, and redacting them from log events and error bodies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.engine import make_url

from wirework.vault.redaction import MASK, Redactor, known

__all__ = [
    "MASK",
    "Credentials",
    "Redactor",
    "credential_secrets",
    "is_secret_key",
    "mask_url",
    "redact",
    "redact_known",
]

# Keys whose values are secret wherever they appear (log events, headers, configs).
SECRET_KEY_PATTERN = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|authorization|auth|credential|cookie|private[_-]?key|signature)",
    re.IGNORECASE,
)


def mask_url(url: str) -> str:
    """``postgresql://u:pw@h/db`` → ``postgresql://u:********@h/db``."""
    try:
        parsed = make_url(url)
    except Exception:
        return MASK
    if parsed.password:
        parsed = parsed.set(password=MASK)
    # SQLAlchemy percent-encodes the password ("%2A…"); show the mask as people read it.
    return parsed.render_as_string(hide_password=False).replace("%2A" * len(MASK), MASK)


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY_PATTERN.search(key))


def redact(value: Any, _depth: int = 0) -> Any:
    """Replace the values of secret-looking keys in nested mappings and lists, and every
    form of a known secret (see :func:`redact_known`) in the strings."""
    if _depth > 8:
        return redact_known(value)
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and v else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, _depth + 1) for v in value]
    return redact_known(value)


def redact_known(value: Any) -> Any:
    """``value`` with every form (raw, escaped, URL/JSON/base64/hex-encoded, long pieces) of
    every secret this process's vault has encrypted or decrypted replaced by the mask."""
    redactor = known.redactor()
    if not redactor:
        return value
    return redactor.value(value)


class Credentials(dict[str, Any]):
    """Decrypted credentials that know which of their fields are secret (the type's password
    fields); what nodes get from ``ctx.credentials()``."""

    def __init__(self, values: Mapping[str, Any], secret_fields: Iterable[str] = ()) -> None:
        super().__init__(values)
        self.secret_fields = frozenset(secret_fields)


def credential_secrets(values: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The secret strings of a credentials mapping (declared secret fields, secret-looking
    names, everything nested under them) and the other strings (a username, which Basic auth
    encodes together with the password)."""
    declared: frozenset[str] = getattr(values, "secret_fields", frozenset())
    secrets: list[str] = []
    others: list[str] = []

    def walk(value: Any, secret: bool, depth: int) -> None:
        if isinstance(value, str):
            (secrets if secret else others).append(value)
        elif isinstance(value, Mapping) and depth < 8:
            for key, item in value.items():
                walk(item, secret or is_secret_key(str(key)), depth + 1)
        elif isinstance(value, list | tuple) and depth < 8:
            for item in value:
                walk(item, secret, depth + 1)

    for key, value in values.items():
        name = str(key)
        named = is_secret_key(name) and not name.endswith(_NAME_SUFFIXES)
        walk(value, key in declared or named, 0)
    return secrets, others


# Credential fields that name where a secret goes (``api_key_header``) or where tokens come
# from (``token_url``), not secrets.
_NAME_SUFFIXES = ("_header", "_param", "_query", "_in", "_url", "_uri")

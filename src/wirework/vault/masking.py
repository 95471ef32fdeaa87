"""Masking secrets for display, and redacting them from log events."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url

MASK = "********"

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
    """Replace the values of secret-looking keys in nested mappings and lists."""
    if _depth > 8:
        return value
    if isinstance(value, Mapping):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and v else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v, _depth + 1) for v in value]
    return value

"""The machine's real database servers for the native integrations' tests (PostgreSQL,
MariaDB, Redis on 127.0.0.1): a test needing one that is down is skipped with the reason,
except under ``CI=true`` where that is a failure (like tests/conftest.py's backends)."""

from __future__ import annotations

import os
import secrets

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "test"}
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "database": "test"}
REDIS = {"host": "127.0.0.1", "port": 6379}


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the local database services must be running)")
    pytest.skip(reason)


def unique(prefix: str) -> str:
    """A name no other test (or helper running beside us) uses: ``<prefix>_<hex>``."""
    return f"{prefix}_{secrets.token_hex(6)}"

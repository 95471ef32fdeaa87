"""The conformance suite (wirework.testing) over every registered integration type: the
built-ins, and the example plugin when it is installed (make install)."""

from __future__ import annotations

import pytest

from wirework.sdk.registry import registry
from wirework.testing import (
    check_errors_mapped,
    check_idempotency,
    check_metadata,
    check_schemas,
    check_secrets_masked,
)

TYPES = [d.name for d in registry.definitions()]


def test_the_built_ins_are_registered() -> None:
    assert {"jira", "github", "slack", "telegram", "webhook_out"} <= set(TYPES)


@pytest.mark.parametrize("name", TYPES)
def test_metadata_and_schemas(name: str) -> None:
    assert [str(p) for p in check_metadata(name) + check_schemas(name)] == []


@pytest.mark.parametrize("name", TYPES)
async def test_errors_are_mapped_to_clear_messages(name: str) -> None:
    assert [str(p) for p in await check_errors_mapped(name)] == []


@pytest.mark.parametrize("name", TYPES)
async def test_idempotency_keys_are_sent(name: str) -> None:
    assert [str(p) for p in await check_idempotency(name)] == []


@pytest.mark.parametrize("name", TYPES)
async def test_secrets_are_masked_everywhere(name: str) -> None:
    assert [str(p) for p in await check_secrets_masked(name)] == []

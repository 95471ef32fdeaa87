"""Native integrations (databases, SMTP, vendor SDKs): where they may connect, and their
errors."""

from __future__ import annotations

import pytest

from wirework.sdk.integration import checked_address, service_failure
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import OutboundPolicy, set_policy


@pytest.fixture
def default_policy() -> object:
    set_policy(OutboundPolicy())
    yield
    set_policy(None)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]", "::ffff:127.0.0.1", "0.0.0.0"]
)
async def test_private_and_metadata_addresses_are_refused(default_policy: None, host: str) -> None:
    with pytest.raises(NodeError) as caught:
        await checked_address("PostgreSQL", host, 5432)
    assert caught.value.message.startswith("PostgreSQL: ")
    assert "blocked" in caught.value.message and not caught.value.retryable


async def test_public_literals_pass_and_the_address_is_returned(default_policy: None) -> None:
    assert await checked_address("Redis", "8.8.8.8", 6379) == "8.8.8.8"


async def test_the_admin_allow_list_opens_a_range() -> None:
    set_policy(OutboundPolicy(["127.0.0.0/8"]))
    try:
        assert await checked_address("SMTP", "127.0.0.2", 25) == "127.0.0.2"
    finally:
        set_policy(None)


def test_service_failure_names_the_service_and_folds_whitespace() -> None:
    error = service_failure("MySQL", "query", "Table 'x' doesn't\n  exist", code=1146)
    assert error.message == "MySQL: query failed: Table 'x' doesn't exist"
    assert error.details == {
        "service": "MySQL",
        "service_message": "Table 'x' doesn't exist",
        "code": 1146,
    }

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.declarative.fake_server import FakeAcme
from tests.integrations.fakes import serving
from wirework.sdk.registry import registry


@pytest.fixture
def acme_server(loopback: None) -> Iterator[FakeAcme]:
    with serving(FakeAcme()) as fake:
        assert isinstance(fake, FakeAcme)
        yield fake


@pytest.fixture(autouse=True)
def forget_custom_types() -> Iterator[None]:
    """The registry is per process: custom types of one test never reach the next."""
    yield
    for definition in registry.custom_definitions():
        registry.unregister_custom(definition.name)

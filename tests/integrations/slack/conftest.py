from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.fakes import serving
from tests.integrations.slack.fake_server import FakeSlack


@pytest.fixture
def slack_server(loopback: None) -> Iterator[FakeSlack]:
    with serving(FakeSlack()) as fake:
        assert isinstance(fake, FakeSlack)
        yield fake

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.fakes import serving
from tests.integrations.telegram.fake_server import FakeTelegram


@pytest.fixture
def telegram_server(loopback: None) -> Iterator[FakeTelegram]:
    with serving(FakeTelegram()) as fake:
        assert isinstance(fake, FakeTelegram)
        yield fake

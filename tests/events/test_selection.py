"""Which bus a process uses: WIREWORK_EVENTS_URL, else derived from the mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from wirework.events import EventsConfigError, LocalBus, events_url, open_bus
from wirework.events.postgres import PostgresBus, asyncpg_dsn
from wirework.events.redis import RedisBus, split_channel

PG = "postgresql://wirework:pw@db.example/wirework"


@pytest.mark.parametrize(
    ("events", "broker", "database", "expected"),
    [
        ("", "", "", "memory://"),  # embedded
        ("", "", PG, "memory://"),  # embedded on PostgreSQL: still this process only
        ("", "redis://broker.example:6379/0", PG, "redis://broker.example:6379/0"),
        ("", "rediss://broker.example:6380/0", "", "rediss://broker.example:6380/0"),
        ("", "amqp://guest@mq.example//", PG, PG),  # RabbitMQ: the database's NOTIFY
        ("", "amqp://guest@mq.example//", "postgres://db.example/w", "postgres://db.example/w"),
        ("redis://ev.example", "amqp://mq.example//", PG, "redis://ev.example"),  # explicit
        ("memory://", "redis://broker.example", PG, "memory://"),
    ],
)
def test_the_bus_follows_the_setting_or_the_mode(
    events: str, broker: str, database: str, expected: str
) -> None:
    assert events_url(events, broker, database) == expected


@pytest.mark.parametrize("database", ["", "mysql://root@db.example/w", "sqlite:///x.db"])
def test_rabbitmq_without_postgresql_needs_the_setting(database: str) -> None:
    with pytest.raises(EventsConfigError, match="WIREWORK_EVENTS_URL") as caught:
        events_url("", "amqp://guest:secret@mq.example//", database)
    assert "secret" not in str(caught.value)


def test_open_bus_by_scheme() -> None:
    assert isinstance(open_bus("memory://"), LocalBus)
    assert isinstance(open_bus("redis://127.0.0.1:6379/0"), RedisBus)
    assert isinstance(open_bus("postgresql+asyncpg://u@h/d"), PostgresBus)
    with pytest.raises(EventsConfigError, match="WIREWORK_EVENTS_URL: unsupported scheme 'amqp'"):
        open_bus("amqp://guest:secret@mq.example//")


def test_channels_come_from_the_url() -> None:
    assert split_channel("redis://h:6379/2?channel=prod:ev&ssl_cert_reqs=none", "d") == (
        "redis://h:6379/2?ssl_cert_reqs=none",
        "prod:ev",
    )
    assert split_channel("redis://h", "wirework:events") == ("redis://h", "wirework:events")
    dsn, channel = asyncpg_dsn("postgresql+asyncpg://u:p@h:5433/d?channel=ev2")
    assert (dsn, channel) == ("postgresql://u:p@h:5433/d", "ev2")
    assert asyncpg_dsn("postgres://u@h/d")[1] == "wirework_events"


async def test_a_host_in_distributed_mode_refuses_an_unusable_setting(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from wirework.services.engine import EngineHost
    from wirework.services.runtime import open_runtime
    from wirework.settings import Settings

    settings = Settings(
        data_dir=tmp_path,
        broker_url="amqp://guest@mq.example//",  # RabbitMQ, and SQLite: nothing to share events
        encryption_key=Fernet.generate_key().decode(),
        secret_key="x" * 40,
    )
    runtime = await open_runtime(settings)
    try:
        with pytest.raises(EventsConfigError, match="set WIREWORK_EVENTS_URL"):
            EngineHost(runtime)
    finally:
        await runtime.close()

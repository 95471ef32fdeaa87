"""Live progress of executions across processes: one bus interface (publish, subscribe,
listening) with an in-process, a Redis pub/sub and a PostgreSQL LISTEN/NOTIFY backend.
See README.md in this folder."""

from __future__ import annotations

from urllib.parse import urlsplit

from wirework.events.base import CANCELED, CLUSTER, LOST, QUEUE_SIZE, Bus, Event, LocalBus

__all__ = [
    "CANCELED",
    "CLUSTER",
    "LOST",
    "QUEUE_SIZE",
    "Bus",
    "Event",
    "EventsConfigError",
    "LocalBus",
    "events_url",
    "open_bus",
]

MEMORY = "memory://"
_REDIS = ("redis", "rediss", "unix")
_POSTGRES = ("postgresql", "postgres", "postgresql+asyncpg")


class EventsConfigError(ValueError):
    """WIREWORK_EVENTS_URL is wrong, or none can be derived in distributed mode."""


def _scheme(url: str) -> str:
    return urlsplit(url).scheme.lower()


def events_url(events: str, broker: str, database: str) -> str:
    """The bus to use, from WIREWORK_EVENTS_URL (``events``), else derived: embedded (no
    ``broker``) → in-process; a Redis broker → its pub/sub; a PostgreSQL ``database`` →
    LISTEN/NOTIFY; anything else is an error naming the setting."""
    if events:
        return events
    if not broker:
        return MEMORY
    if _scheme(broker) in _REDIS:
        return broker
    if _scheme(database) in _POSTGRES:
        return database
    raise EventsConfigError(
        "WIREWORK_EVENTS_URL is needed: in distributed mode (WIREWORK_BROKER_URL is set) live "
        "progress crosses processes over Redis pub/sub or PostgreSQL LISTEN/NOTIFY, and "
        f"neither the broker ({_scheme(broker)}://) nor the database "
        f"({_scheme(database) or 'sqlite'}) is one of those; set WIREWORK_EVENTS_URL to "
        "redis://host:6379 or postgresql://user@host/db"
    )


def open_bus(url: str) -> Bus:
    """A bus for ``url``: ``memory://`` (this process), ``redis://…`` / ``rediss://…``, or
    ``postgresql://…``; not started yet (``await bus.start()``)."""
    scheme = _scheme(url)
    if scheme in ("memory", "local"):
        return LocalBus()
    if scheme in _REDIS:
        from wirework.events.redis import RedisBus

        return RedisBus(url)
    if scheme in _POSTGRES:
        from wirework.events.postgres import PostgresBus

        return PostgresBus(url)
    raise EventsConfigError(
        f"WIREWORK_EVENTS_URL: unsupported scheme {scheme or '(none)'!r} "
        "(use memory://, redis://…, rediss://… or postgresql://…)"
    )

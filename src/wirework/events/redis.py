"""Events over Redis pub/sub (redis-py asyncio): one channel, ``wirework:events`` unless the
URL's ``channel`` query parameter names another (pub/sub ignores the database number, so
two installations sharing a Redis need different channels)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis

from wirework.events.shared import SharedBus

DEFAULT_CHANNEL = "wirework:events"


def split_channel(url: str, default: str) -> tuple[str, str]:
    """``url`` without its ``channel`` query parameter, and that channel (or ``default``)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    channel = next((v for k, v in query if k == "channel"), default)
    rest = urlencode([(k, v) for k, v in query if k != "channel"])
    return urlunsplit(parts._replace(query=rest)), channel


class RedisBus(SharedBus):
    max_payload = 1_000_000  # far below Redis's 512 MB: one slow subscriber, not a flood

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._url, self.channel = split_channel(url, DEFAULT_CHANNEL)
        self._client: aioredis.Redis | None = None

    def __repr__(self) -> str:
        host = urlsplit(self._url).hostname or "?"
        return f"<RedisBus {host} {self.channel}>"

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(
                self._url,
                socket_connect_timeout=5,
                health_check_interval=15,
                client_name=self.client_name,  # CLIENT LIST shows whose connections these are
            )
        return self._client

    async def _listen(self) -> None:
        pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            await self._on_connected()
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    # An idle connection: a killed one shows here (the ping fails).
                    await pubsub.ping()
                    continue
                if message.get("type") == "message":
                    self._receive(message["data"])
        finally:
            await pubsub.aclose()

    async def _send(self, payload: str) -> None:
        await self._redis().publish(self.channel, payload)

    async def _close_transport(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

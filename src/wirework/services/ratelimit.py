"""Rate limits on credential guessing, with the `limits` library (moving windows).

Three kinds of counters, each a list of limits (``"5/minute;30/hour"``):

- per account (the e-mail): login attempts and checks of a current password; a successful
  login clears it, so only failures hold an account back. It is a window, never a lock:
  once the oldest counted attempt leaves the window, the account takes attempts again.
- per client (its address): failed logins, failed password checks, set-up attempts after
  set-up. Only failures count, so many users logging in from one address are not held back.
- per client, bearer tokens: requests with a wrong, expired or revoked API key or login
  token.

A refused attempt is answered 429 ``too_many_attempts`` with ``Retry-After`` and is not
checked at all (a right password is refused too while the window is full), and it does not
count again. Counters live in memory (one process) or in Redis (``redis://…``, shared by
replicas).
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from wirework.services.errors import TooManyRequests
from wirework.settings import Settings


class Counter(enum.StrEnum):
    """What a counter counts; part of its storage key."""

    LOGIN_ACCOUNT = "login-account"
    LOGIN_CLIENT = "login-client"
    TOKEN_CLIENT = "token-client"  # noqa: S105 - a counter name


_MESSAGES = {
    Counter.LOGIN_ACCOUNT: "too many failed attempts for this account",
    Counter.LOGIN_CLIENT: "too many failed login attempts from this address",
    Counter.TOKEN_CLIENT: "too many requests with a wrong or expired token from this address",
}


def async_storage_uri(uri: str) -> str:
    """The `limits` async storage URI for a setting (``memory://``, ``redis://…``)."""
    return uri if uri.startswith("async+") else f"async+{uri}"


@dataclass
class AuthGuard:
    """The counters of one process (memory) or of every replica (Redis)."""

    limiter: MovingWindowRateLimiter
    limits: dict[Counter, Sequence[RateLimitItem]]

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthGuard:
        storage = storage_from_string(async_storage_uri(settings.rate_limit_storage_uri))
        limiter = MovingWindowRateLimiter(storage)
        return cls(
            limiter,
            {
                Counter.LOGIN_ACCOUNT: parse_many(settings.login_rate_limit),
                Counter.LOGIN_CLIENT: parse_many(settings.login_client_rate_limit),
                Counter.TOKEN_CLIENT: parse_many(settings.auth_rate_limit),
            },
        )

    async def _refuse(self, counter: Counter, key: str, item: RateLimitItem) -> TooManyRequests:
        stats = await self.limiter.get_window_stats(item, counter.value, key)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return TooManyRequests(
            f"{_MESSAGES[counter]}; try again in {retry_after} s", retry_after=retry_after
        )

    async def check(self, counter: Counter, key: str) -> None:
        """Raise TooManyRequests if the counter is full (counts nothing)."""
        for item in self.limits[counter]:
            if not await self.limiter.test(item, counter.value, key):
                raise await self._refuse(counter, key, item)

    async def take(self, counter: Counter, key: str) -> None:
        """Count one attempt, atomically; raise TooManyRequests (counting nothing more) if
        the counter is full. Concurrent attempts cannot all slip past a full counter."""
        for item in self.limits[counter]:
            if not await self.limiter.hit(item, counter.value, key):
                raise await self._refuse(counter, key, item)

    async def fail(self, counter: Counter, key: str) -> None:
        """Count one failure (after the fact; a full counter stays full)."""
        for item in self.limits[counter]:
            await self.limiter.hit(item, counter.value, key)

    async def clear(self, counter: Counter, key: str) -> None:
        for item in self.limits[counter]:
            await self.limiter.clear(item, counter.value, key)

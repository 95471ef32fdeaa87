"""Rate limits on credential guessing, with the `limits` library (moving windows).

Three kinds of counters, each a list of limits (``"5/minute;30/hour"``):

- per account (the e-mail): failed logins and failed checks of a current password. It is a
  window, never a lock: once the oldest counted failure leaves the window, the account
  takes attempts again.
- per client (its address): failed logins, failed password checks, set-up attempts after
  set-up.
- per client, bearer tokens: requests with a wrong, expired or revoked API key or login
  token.

Only failures count, so many users logging in from one address are never held back, and
attempts on one account are checked one at a time in a process (concurrent guesses cannot
slip past a full counter). A refused attempt is answered 429 ``too_many_attempts`` with
``Retry-After`` and is not checked at all (a right password is refused too while the window
is full), and it does not count again. Counters live in memory (one process) or in Redis
(``redis://…``, shared by replicas).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from limits import RateLimitItem, parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from wirework.errors import TooManyRequests
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
    # (counter, key) → [lock, users]: attempts on one key run one at a time; dropped when idle.
    _locks: dict[tuple[Counter, str], tuple[asyncio.Lock, list[int]]] = field(default_factory=dict)

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

    @contextlib.asynccontextmanager
    async def one_at_a_time(self, counter: Counter, key: str) -> AsyncIterator[None]:
        """Serialise check → verify → count for one key, so that concurrent attempts see
        each other's failures."""
        entry = self._locks.setdefault((counter, key), (asyncio.Lock(), [0]))
        entry[1][0] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1][0] -= 1
            if entry[1][0] == 0:
                self._locks.pop((counter, key), None)

    async def fail(self, counter: Counter, key: str) -> None:
        """Count one failure (a full counter stays full)."""
        for item in self.limits[counter]:
            await self.limiter.hit(item, counter.value, key)

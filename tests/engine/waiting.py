"""Waiting on a condition with a bounded timeout that fails clearly (never sleep-then-assert)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def wait_for(condition: Callable[[], Any], what: str, limit_s: float = 30.0) -> Any:
    """Poll ``condition`` (sync or async) until it returns something truthy, and return that;
    fail naming ``what`` after ``limit_s`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit_s:g} s waiting until {what}")
        await asyncio.sleep(0.02)


def wait_until(condition: Callable[[], T], what: str, limit_s: float = 30.0) -> T:
    """The same for synchronous tests (subprocess servers)."""
    deadline = time.monotonic() + limit_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit_s:g} s waiting until {what}")
        time.sleep(0.05)

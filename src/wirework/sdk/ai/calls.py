"""How a model provider makes a call: bounded in time, retried on 429/5xx/timeouts honouring
``Retry-After``, its errors turned into a :class:`~wirework.sdk.node.NodeError` naming the
provider and its own words, without a credential value.

Providers built on a vendor SDK pass the SDK ``max_retries=0`` and call through
:func:`with_retries`, so every provider retries the same way: at most ``CallPolicy.attempts``
tries, waits of the provider's ``Retry-After`` (or ``retry-after-ms``) else exponential
backoff with jitter, a wait longer than ``max_wait_s`` not slept on (the step fails as
retryable: the node's retry policy, a durable scheduled wait, takes over), and never past the
call's deadline (``timeout_s``, retries included).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from wirework.sdk.node import NodeError

T = TypeVar("T")
MAX_MESSAGE = 1000


@dataclass(frozen=True)
class CallPolicy:
    attempts: int = 3  # tries in all
    base_s: float = 0.5  # first backoff without Retry-After (doubles, with jitter)
    max_wait_s: float = 30.0  # longest wait slept on inside a step
    timeout_s: float = 60.0  # the whole call, retries included


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds a provider asks to wait: ``retry-after-ms``, else ``Retry-After`` (seconds or
    an HTTP date); None when not said (or unreadable)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds())


def error_text(body: Any, fallback: str = "") -> str:
    """The message of a provider's error body: ``{"error": {"message"}}`` (OpenAI,
    Anthropic), ``{"message"}``, ``{"error": "…"}``, ``{"detail"}``; else ``fallback``."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            kind = error.get("type") or error.get("code")
            message = str(error["message"])
            return f"{message} ({kind})" if isinstance(kind, str) and kind else message
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return fallback


def hidden(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret value replaced by ``***``, cut to a readable length."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def status_error(
    service: str,
    status: int,
    where: str,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    secrets: tuple[str, ...] = (),
) -> NodeError:
    """``<Service> answered HTTP <status> to <METHOD /path>: <message>``: retryable for 408,
    409, 429 and 5xx, ``details.retry_after_s`` when the provider said how long to wait."""
    said = hidden(message or "no message", secrets)
    details: dict[str, Any] = {"status": status, "service": service, "service_message": said}
    wait = retry_after(headers)
    if wait is not None:
        details["retry_after_s"] = wait
    return NodeError(
        f"{service} answered HTTP {status} to {where}: {said}",
        retryable=status in (408, 409, 429) or status >= 500,
        details=details,
    )


Describe = Callable[[BaseException], NodeError]


async def with_retries(
    call: Callable[[float], Awaitable[T]],
    *,
    service: str,
    describe: Describe,
    policy: CallPolicy,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``await call(remaining_s)`` until it succeeds, retrying what ``describe`` calls
    retryable (see the module's doc). ``remaining_s`` is the time left before the deadline:
    give it to the SDK as the request's timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + policy.timeout_s
    for attempt in range(1, max(1, policy.attempts) + 1):
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            async with asyncio.timeout(remaining):
                return await call(remaining)
        except TimeoutError:
            break
        except NodeError:
            raise
        except Exception as exc:
            error = describe(exc)
            if not error.retryable or attempt >= policy.attempts:
                raise error from None
            wait = error.details.get("retry_after_s")
            if wait is None:
                wait = policy.base_s * (2 ** (attempt - 1)) * (0.5 + random.random())
            if wait > policy.max_wait_s:
                error.message = f"{error.message} (it asks to wait {wait:.0f} s: retry later)"
                error.args = (error.message,)
                raise error from None
            if loop.time() + wait >= deadline:
                raise error from None
            await sleep(wait)
    raise NodeError(
        f"{service}: no answer within {policy.timeout_s:g} s (retries included)",
        retryable=True,
        details={"service": service, "timeout_s": policy.timeout_s},
    )


def _guard_refusal(exc: BaseException) -> BaseException | None:
    """The outbound guard's refusal (SSRF, allowed hosts, size) behind an SDK's error."""
    from wirework.sdk.outbound import BlockedAddress, CredentialHostRefused, ResponseTooLarge

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BlockedAddress | CredentialHostRefused | ResponseTooLarge):
            return current
        current = current.__cause__ or current.__context__
    return None


def sdk_failure(
    service: str,
    exc: BaseException,
    *,
    base_url: str,
    timeout_errors: tuple[type[BaseException], ...],
    connection_errors: tuple[type[BaseException], ...],
    secrets: tuple[str, ...] = (),
) -> NodeError:
    """A vendor SDK's exception as a NodeError: an error status names the status, the
    request and the provider's message (retryable for 408/409/429/5xx); a timeout or an
    unreachable server is retryable; the outbound guard's refusals are not. Secrets are
    replaced by ``***``."""
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and response is not None:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        text = response.text[:300] if response.text else str(exc)
        request = response.request
        return status_error(
            service,
            status,
            f"{request.method} {request.url.path}",
            error_text(body, text),
            headers=response.headers,
            secrets=secrets,
        )
    refusal = _guard_refusal(exc)
    if refusal is not None:
        return NodeError(f"{service}: {hidden(str(refusal), secrets)}", retryable=False)
    if isinstance(exc, timeout_errors):
        return NodeError(f"{service}: the request timed out", retryable=True)
    if isinstance(exc, connection_errors):
        cause = exc.__cause__ or exc.__context__
        said = hidden(str(cause or exc), secrets)
        return NodeError(f"{service}: cannot reach {base_url}: {said}", retryable=True)
    return NodeError(
        f"{service}: {type(exc).__name__}: {hidden(str(exc), secrets)}", retryable=False
    )

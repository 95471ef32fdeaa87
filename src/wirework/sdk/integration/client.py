"""The HTTP client an integration's actions get: one pooled, SSRF-guarded connection pool per
integration, its credentials attached only to the integration's allowed hosts, error answers
turned into :class:`~wirework.sdk.integration.errors.ServiceError` naming the service's own
message, and 429/5xx retried with backoff honouring ``Retry-After`` where that is safe.

Safe to retry: a 429 (or GitHub's 403 with ``x-ratelimit-remaining: 0``: the service did
not process the request) always; a 5xx only for
idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) or a request sent with an idempotency
key (``idempotent=True``). A ``Retry-After`` longer than ``RetryPolicy.max_wait_s`` is not
slept on in the step: the step fails as retryable and the node's retry policy (a scheduled,
durable wait) takes over.

Hooks for services that do not say everything with the status: ``body_error`` reads an
error a service reports in a successful answer (Slack's HTTP 200 ``{"ok": false, "error":
"channel_not_found"}``: a ServiceError like any other), ``retry_after`` reads the wait a
service puts in its body (Telegram's ``parameters.retry_after``), and ``hide`` lists values
(credentials a service wants in the URL path, like Telegram's bot token) replaced by
``***`` in every message the client makes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from wirework.sdk.integration.errors import ErrorReader, ServiceError, generic_message
from wirework.sdk.integration.errors import response_json as response_json
from wirework.sdk.integration.sql import close_native_pools
from wirework.sdk.node import NodeError
from wirework.sdk.outbound import (
    BlockedAddress,
    CredentialAuth,
    CredentialHostRefused,
    OutboundClient,
    ResponseTooLarge,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Called when a request was answered 401 with a token that may have expired: refreshes it
# and returns the new headers (None: nothing to refresh).
Reauth = Callable[[], Awaitable[Mapping[str, str] | None]]
# Seconds a service asks to wait before retrying, read from its answer (None: not said).
WaitReader = Callable[[httpx.Response], "float | None"]
HIDDEN = "***"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all, per request
    base_s: float = 0.5  # first backoff without Retry-After (doubles, with jitter)
    max_wait_s: float = 30.0  # longest wait slept on inside a step


def retry_after_s(response: httpx.Response, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); None if absent or bad.
    GitHub's ``x-ratelimit-reset`` (Unix time) counts too when the remaining quota is 0."""
    value = response.headers.get("retry-after")
    if value is not None:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        current = now or dt.datetime.now(dt.UTC)
        return max(0.0, (moment - current).total_seconds())
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            current = now or dt.datetime.now(dt.UTC)
            return max(0.0, int(reset) - current.timestamp())
    return None


# --------------------------------------------------------------------------- the pool

_pools: dict[tuple[int, str, int | None], OutboundClient] = {}


def pooled_client(service: str, integration_id: int | None) -> OutboundClient:
    """The connection pool of one integration (per event loop): reused by every step that
    uses the integration, so connections and TLS sessions are kept alive. It holds no
    credentials: they are attached per request."""
    loop = asyncio.get_running_loop()
    key = (id(loop), service, integration_id)
    client = _pools.get(key)
    if client is None or client.http.is_closed:
        client = _pools[key] = OutboundClient(timeout=30.0, follow_redirects=True)
    return client


async def close_pools() -> None:
    """Close this event loop's pools, HTTP and native (a process stopping, a test's end)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [k for k in _pools if k[0] == loop_id]:
        await _pools.pop(key).aclose()
    await close_native_pools()  # the native integrations' (databases, Redis)


# --------------------------------------------------------------------------- the client


class ServiceClient:
    """Requests to one integration's service with its credentials (see the module's doc)."""

    def __init__(
        self,
        service: str,
        http: OutboundClient,
        auth: CredentialAuth,
        base_url: str,
        *,
        error_reader: ErrorReader | None = None,
        retry: RetryPolicy | None = None,
        reauth: Reauth | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        body_error: ErrorReader | None = None,
        retry_after: WaitReader | None = None,
        hide: tuple[str, ...] = (),
    ) -> None:
        self.service = service
        self.http = http
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        self.error_reader = error_reader or generic_message
        self.retry = retry or RetryPolicy()
        self.reauth = reauth
        self._sleep = sleep
        self.requests_sent = 0
        self.body_error = body_error
        self.wait_reader = retry_after
        self.hide = tuple(h for h in hide if h)
        # (header, key): sent on every non-GET request (the action's idempotency key).
        self.idempotency: tuple[str, str] | None = None

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
        ok_statuses: tuple[int, ...] = (),
        anonymous: bool = False,
        **body: Any,
    ) -> httpx.Response:
        """Send a request (``path`` relative to the base URL, or an absolute URL on an
        allowed host) and return its answer; a 4xx/5xx not in ``ok_statuses`` (or an error
        ``body_error`` finds in a 2xx answer) raises ServiceError once retries are spent.
        ``anonymous``: send no credentials (a pre-signed URL on another host, e.g. an upload
        URL the service handed out)."""
        method = method.upper()
        if self.idempotency is not None and method not in ("GET", "HEAD", "OPTIONS"):
            header, key = self.idempotency
            headers = {header: key, **(headers or {})}
            idempotent = True
        safe = method in SAFE_METHODS or idempotent
        query = {k: v for k, v in (query or {}).items() if v is not None}
        if json is not None:
            body["json"] = json
        reauthed = False
        attempt = 0
        while True:
            attempt += 1
            response = await self._send(method, path, query, headers, body, anonymous)
            status = response.status_code
            if status < 400 and self.body_error is not None and not anonymous:
                reported = self._reported(response)
                if reported is not None:
                    raise self._error(response, reported, retryable=False)
            if status < 400 or status in ok_statuses:
                return response
            if status == 401 and self.reauth is not None and not reauthed:
                reauthed = True
                fresh = await self.reauth()
                if fresh is not None:
                    self.auth.headers.update(fresh)
                    continue
            limited = status == 429 or (
                status == 403 and response.headers.get("x-ratelimit-remaining") == "0"
            )
            retryable = limited or (status >= 500 and safe)
            if retryable and attempt < self.retry.attempts:
                wait = self._wait_of(response)
                if wait is None:
                    wait = self.retry.base_s * 2 ** (attempt - 1) * (0.5 + random.random())
                if wait <= self.retry.max_wait_s:
                    await self._sleep(wait)
                    continue
            raise self._error(response, self._message(response), retryable=limited or status >= 500)

    def _error(
        self, response: httpx.Response, said: str | None, *, retryable: bool
    ) -> ServiceError:
        return ServiceError(self.service, response, said, retryable=retryable, hide=self.hide)

    def _reported(self, response: httpx.Response) -> str | None:
        assert self.body_error is not None
        try:
            return self.body_error(response)
        except Exception:  # a reader that cannot parse this body: no error in it
            return None

    def _wait_of(self, response: httpx.Response) -> float | None:
        if self.wait_reader is not None:
            try:
                wait = self.wait_reader(response)
            except Exception:
                wait = None
            if wait is not None:
                return max(0.0, float(wait))
        return retry_after_s(response)

    def scrub(self, text: str) -> str:
        """``text`` without the values this client hides."""
        for value in self.hide:
            text = text.replace(value, HIDDEN)
        return text

    def _message(self, response: httpx.Response) -> str | None:
        try:
            return self.error_reader(response) or generic_message(response)
        except Exception:  # a reader that cannot parse this body: the generic one
            return generic_message(response)

    async def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any],
        headers: Mapping[str, str] | None,
        body: dict[str, Any],
        anonymous: bool = False,
    ) -> httpx.Response:
        url = self.url(path)
        self.requests_sent += 1
        try:
            return await self.http.request(
                method,
                url,
                query=query,
                headers=headers,
                credentials=None if anonymous else self.auth,
                **body,
            )
        except (BlockedAddress, CredentialHostRefused) as exc:
            raise NodeError(self.scrub(str(exc)), retryable=False) from None
        except ResponseTooLarge as exc:
            raise NodeError(self.scrub(f"{self.service}: {exc}"), retryable=False) from None
        except httpx.TimeoutException:
            raise NodeError(
                self.scrub(f"{self.service}: {method} {_bare(url)} timed out")
            ) from None
        except httpx.HTTPError as exc:
            raise NodeError(
                self.scrub(f"{self.service}: {method} {_bare(url)} failed: {exc}")
            ) from None

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request` and its JSON body (``{}`` when it has none)."""
        response = await self.request(method, path, **kwargs)
        found = response_json(response)
        if found is None and response.content:
            raise NodeError(
                self.scrub(f"{self.service} answered {method} {path} with a body that is not JSON"),
                retryable=False,
            )
        return {} if found is None else found


def _bare(url: str) -> str:
    return str(httpx.URL(url).copy_with(query=None, fragment=None))

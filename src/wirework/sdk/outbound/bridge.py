"""Vendor SDKs built on ``httpx2`` (the official OpenAI and Anthropic SDKs) talking through
the project's guarded client.

``guarded_httpx2_client(hosts=…)`` is an ``httpx2.AsyncClient`` whose transport hands every
request to a :func:`~wirework.sdk.outbound.client.guarded_client` (``httpx``): each connection
passes the SSRF guard on the address it connects to, each response body is size-limited, no
redirect is followed, and, with ``hosts``, a request to a host the integration does not allow
is refused before anything is sent (the SDK attaches the integration's key to every request
it makes, so this is what keeps the key on the integration's own host).

Errors of the guarded client come back as ``httpx2`` transport errors (timeouts as timeouts,
so the SDK reports ``APITimeoutError``) with the original as ``__cause__``: callers read
:class:`BlockedAddress`, :class:`CredentialHostRefused` and :class:`ResponseTooLarge` there.
``httpx2`` is imported when the first such client is made (the SDKs bring it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from wirework.sdk.outbound.client import guarded_client
from wirework.sdk.outbound.credentials import AllowedHosts, CredentialHostRefused
from wirework.sdk.outbound.limits import ACCEPT_ENCODING


def _transport_error(httpx2: Any, exc: Exception, request: Any) -> Exception:
    """``exc`` (httpx or ours) as the httpx2 error the SDKs understand."""
    if isinstance(exc, httpx.ConnectTimeout):
        kind = httpx2.ConnectTimeout
    elif isinstance(exc, httpx.WriteTimeout):
        kind = httpx2.WriteTimeout
    elif isinstance(exc, httpx.PoolTimeout):
        kind = httpx2.PoolTimeout
    elif isinstance(exc, httpx.TimeoutException):
        kind = httpx2.ReadTimeout
    elif isinstance(exc, httpx.ConnectError):
        kind = httpx2.ConnectError
    elif isinstance(exc, httpx.RemoteProtocolError):
        kind = httpx2.RemoteProtocolError
    else:
        kind = httpx2.TransportError
    error = kind(str(exc), request=request)
    error.__cause__ = exc
    return error  # type: ignore[no-any-return]


def guarded_httpx2_client(
    *,
    timeout: float = 60.0,
    hosts: AllowedHosts | None = None,
    label: str = "the integration",
    max_response_bytes: int | None = None,
) -> Any:
    """An ``httpx2.AsyncClient`` for a vendor SDK (see the module's doc). Close it with
    ``await client.aclose()``: that closes the guarded client under it too."""
    import httpx2

    inner = guarded_client(timeout=timeout, max_response_bytes=max_response_bytes)

    class _Body(httpx2.AsyncByteStream):
        def __init__(self, response: httpx.Response, request: Any) -> None:
            self._response = response
            self._request = request

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                async for piece in self._response.aiter_raw():
                    yield piece
            except httpx.HTTPError as exc:
                raise _transport_error(httpx2, exc, self._request) from exc

        async def aclose(self) -> None:
            await self._response.aclose()

    class _Transport(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: Any) -> Any:
            url = httpx.URL(str(request.url))
            if hosts is not None and not hosts.permits(url):
                refused = CredentialHostRefused(
                    f"{label} may not send its credentials to {url.netloc.decode('ascii')}: "
                    f"it allows only {', '.join(hosts.patterns) or 'no host'}; nothing was sent"
                )
                raise _transport_error(httpx2, refused, request) from refused
            headers = [(k, v) for k, v in request.headers.multi_items()]
            headers = [(k, v) for k, v in headers if k.lower() != "accept-encoding"]
            headers.append(("Accept-Encoding", ACCEPT_ENCODING))
            legacy = inner.build_request(
                request.method,
                url,
                headers=headers,
                content=await request.aread(),
                extensions={"timeout": request.extensions.get("timeout") or {}},
            )
            try:
                response = await inner.send(legacy, stream=True)
            except httpx.HTTPError as exc:
                raise _transport_error(httpx2, exc, request) from exc
            return httpx2.Response(
                response.status_code,
                headers=response.headers.multi_items(),
                stream=_Body(response, request),
                extensions={"http_version": response.http_version.encode("ascii")},
            )

        async def aclose(self) -> None:
            await inner.aclose()

    return httpx2.AsyncClient(
        transport=_Transport(), timeout=timeout, follow_redirects=False, trust_env=False
    )

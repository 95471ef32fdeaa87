"""HTTP clients for nodes and integrations: every connection passes the SSRF guard, every
response body is size-limited, and credentials go only where their integration allows.

``guarded_client()`` is a plain ``httpx.AsyncClient`` with the guard and the limit (for code
that brings no credentials). ``OutboundClient`` adds credential handling: it checks the
integration's allowed hosts before anything is sent, follows redirects itself and, on a
redirect to another origin (scheme, host or port), drops every header and query parameter
that came from credentials along with ``Authorization``, ``Proxy-Authorization`` and
``Cookie``.
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode

import certifi
import httpcore
import httpx

from wirework.sdk.outbound.addresses import BlockedAddress, OutboundPolicy, policy, resolve_checked
from wirework.sdk.outbound.credentials import DEFAULT_PORTS, CredentialAuth
from wirework.sdk.outbound.limits import ACCEPT_ENCODING, LimitedTransport

ALWAYS_CROSS_ORIGIN_DROPPED = ("authorization", "proxy-authorization", "cookie")
BODY_HEADERS = ("content-length", "content-type", "transfer-encoding")


class _HideQuery(logging.Filter):
    """httpx logs every request's URL at info level; its query may carry credentials
    (``api_key_query``), so it is logged without."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, httpx.URL) and a.query for a in record.args
        ):
            record.args = tuple(
                a.copy_with(query=b"...") if isinstance(a, httpx.URL) and a.query else a
                for a in record.args
            )
        return True


if not any(isinstance(f, _HideQuery) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_HideQuery())


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, guard: OutboundPolicy | None) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._guard = guard

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await resolve_checked(host, port, self._guard or policy())
        return await self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are not allowed for outbound requests")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs tens of milliseconds: once per process, not per request."""
    return ssl.create_default_context(cafile=certifi.where())


def guarded_client(
    *,
    timeout: float = 30.0,
    follow_redirects: bool = False,
    guard: OutboundPolicy | None = None,
    max_response_bytes: int | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An httpx client whose every connection passes the SSRF guard and whose every response
    body (redirects' too) is limited to ``max_response_bytes`` decompressed bytes (default:
    the policy's ``WIREWORK_HTTP_MAX_RESPONSE_BYTES``).

    It does not follow redirects unless asked: httpx would carry every header but
    ``Authorization`` to another origin. Requests with credentials go through
    :class:`OutboundClient`, which follows redirects safely."""
    transport = httpx.AsyncHTTPTransport(retries=0, verify=_ssl_context())  # no second bundle load
    transport._pool = httpcore.AsyncConnectionPool(  # the only way to set a network backend
        ssl_context=_ssl_context(),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=_GuardedBackend(guard),
    )
    limit = max_response_bytes or (guard or policy()).max_response_bytes
    headers = httpx.Headers({"Accept-Encoding": ACCEPT_ENCODING})
    headers.update(kwargs.pop("headers", None) or {})
    return httpx.AsyncClient(
        transport=LimitedTransport(transport, limit),
        timeout=timeout,
        follow_redirects=follow_redirects,
        trust_env=False,
        headers=headers,
        **kwargs,
    )


def with_query(url: str | httpx.URL, params: Iterable[tuple[str, Any]] | None) -> httpx.URL:
    """``url`` with ``params`` appended to the query it already has (which is kept as is).
    Values as httpx encodes them: a list repeats the name, True is ``true``, None empty."""
    target = httpx.URL(url)
    if not params:
        return target
    added = str(httpx.QueryParams(list(params)))
    if not added:
        return target
    own = target.query.decode("ascii")
    return target.copy_with(query=f"{own}&{added}".encode("ascii") if own else added.encode())


def query_pairs(query: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in (query or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((str(name), v) for v in values)
    return pairs


def _origin(url: httpx.URL) -> tuple[str, bytes, int | None]:
    return url.scheme, url.raw_host.lower(), url.port or DEFAULT_PORTS.get(url.scheme)


def _without_params(url: httpx.URL, names: set[str], values: set[str]) -> httpx.URL:
    if not url.query:
        return url
    pairs = parse_qsl(url.query.decode("ascii"), keep_blank_values=True)
    kept = [(n, v) for n, v in pairs if n.lower() not in names and (not v or v not in values)]
    if len(kept) == len(pairs):
        return url
    return url.copy_with(query=urlencode(kept).encode("ascii") or None)


class OutboundClient:
    """Guarded, size-limited HTTP requests that may carry an integration's credentials."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        follow_redirects: bool = True,
        max_redirects: int = 20,
        max_response_bytes: int | None = None,
        guard: OutboundPolicy | None = None,
    ) -> None:
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.http = guarded_client(
            timeout=timeout,
            follow_redirects=False,
            guard=guard,
            max_response_bytes=max_response_bytes,
        )

    async def __aenter__(self) -> OutboundClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: CredentialAuth | None = None,
        **body: Any,
    ) -> httpx.Response:
        """Send a request and read its (size-limited) response. ``query`` is appended to the
        URL's own query; ``body`` takes httpx's ``content``/``data``/``files``/``json``.

        With ``credentials``: CredentialHostRefused before anything is sent when the URL's
        host is not one the integration allows; its headers and query parameters are added,
        and dropped from the first redirect to another origin on.
        """
        target = with_query(url, query_pairs(query))
        merged = httpx.Headers(headers or {})
        if credentials is not None:
            credentials.check(target)
            credentials.apply(merged)
            present = {name.lower() for name, _ in target.params.multi_items()}
            target = with_query(
                target, [(n, v) for n, v in credentials.query if n.lower() not in present]
            )
        request = self.http.build_request(method, target, headers=merged, **body)
        await request.aread()  # multipart bodies too: a 307/308 redirect sends it again
        for _ in range(self.max_redirects + 1):
            response = await self.http.send(request, stream=True)
            if not (self.follow_redirects and response.has_redirect_location):
                try:
                    await response.aread()
                finally:
                    await response.aclose()
                return response
            await response.aclose()  # a redirect's body is never read
            request = self._redirect(request, response, credentials)
        raise httpx.TooManyRedirects(
            f"more than {self.max_redirects} redirects from {url}", request=request
        )

    def _redirect(
        self, request: httpx.Request, response: httpx.Response, credentials: CredentialAuth | None
    ) -> httpx.Request:
        try:
            url = request.url.join(response.headers["location"])
        except httpx.InvalidURL as exc:
            raise httpx.RemoteProtocolError(
                f"bad redirect location: {exc}", request=request
            ) from None
        if url.scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"redirect to a {url.scheme or 'relative'} URL refused", request=request
            )
        method = request.method
        if (response.status_code == 303 and method != "HEAD") or (
            response.status_code in (301, 302) and method == "POST"
        ):
            method = "GET"
        headers = httpx.Headers(request.headers)
        headers.pop("host", None)
        content: bytes | None = request.content
        if method != request.method:
            content = None
            for name in BODY_HEADERS:
                headers.pop(name, None)
        if _origin(url) != _origin(request.url):
            dropped = set(ALWAYS_CROSS_ORIGIN_DROPPED)
            if credentials is not None:
                dropped |= credentials.header_names
                url = _without_params(
                    url,
                    {n.lower() for n, _ in credentials.query},
                    {v for _, v in credentials.query if v},
                )
            for name in dropped:
                headers.pop(name, None)
        redirected = httpx.Request(
            method, url, headers=headers, content=content, extensions=request.extensions
        )
        httpx.Cookies(self.http.cookies).set_cookie_header(redirected)
        return redirected

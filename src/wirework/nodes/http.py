"""``core.http_request``: its parameters, and its run: one request (or one paginated series)
per input item.

Authentication from an integration's credentials, by the fields it has (see
:meth:`wirework.sdk.outbound.CredentialAuth.from_credentials`): ``username`` + ``password`` →
Basic; ``token`` / ``api_token`` / ``access_token`` / ``bearer_token`` → Bearer; ``api_key``
→ the header named by ``api_key_header`` (default ``X-API-Key``) or the query parameter named
by ``api_key_query``; ``headers`` / ``query`` (objects) → extra headers / query parameters;
``base_url`` → relative URLs are resolved against it. Credentials go only to the
integration's allowed hosts, and never across a redirect to another origin.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import Field, field_validator, model_validator

from wirework.nodes.base import ParamsModel, check_problems, get_path, is_expression
from wirework.sdk.fields import MAX_ID
from wirework.sdk.node import Item, NodeContext, NodeError, as_items
from wirework.sdk.outbound import (
    BlockedAddress,
    CredentialAuth,
    CredentialHostRefused,
    OutboundClient,
    ResponseTooLarge,
    policy,
)

LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
MAX_RESPONSE_BYTES = 1 << 40


class Pagination(ParamsModel):
    """Fetch several pages and emit the items of all of them."""

    mode: Literal["page", "offset", "cursor", "next_url"] = Field(
        description="page: a page number; offset: an item offset; cursor: a token from the "
        "last response; next_url: a URL from the last response (or its Link header)"
    )
    param: str | None = Field(
        default=None,
        max_length=100,
        description="Query parameter carrying the page number, offset or cursor",
    )
    start: int | None = Field(
        default=None, ge=0, description="First page number or offset (default 1 / 0)"
    )
    page_size: int | None = Field(
        default=None, ge=1, le=100_000, description="Items per page (offset: the increment)"
    )
    size_param: str | None = Field(
        default=None, max_length=100, description="Query parameter carrying page_size"
    )
    next_field: str | None = Field(
        default=None,
        max_length=200,
        description="cursor / next_url: dotted path of the next cursor or URL in the JSON "
        "response (next_url without it: the Link header's rel=next)",
    )
    items_field: str | None = Field(
        default=None,
        max_length=200,
        description="Dotted path of the list of items in each response; none = the body",
    )
    max_pages: int = Field(default=100, ge=1, le=10_000, description="Stop after this many pages")

    @model_validator(mode="after")
    def _check(self) -> Pagination:
        problems: list[tuple[str, str]] = []
        if self.mode in ("page", "offset", "cursor") and self.param is None:
            problems.append(("param", f"is required for mode {self.mode}"))
        if self.mode == "offset" and self.page_size is None:
            problems.append(("page_size", "is required for mode offset"))
        if self.mode == "cursor" and self.next_field is None:
            problems.append(("next_field", "is required for mode cursor"))
        check_problems(problems)
        return self


class HttpRequestParams(ParamsModel):
    """Call any HTTP API. Outbound addresses pass the SSRF guard; response bodies are capped;
    an integration's credentials go only to its allowed hosts."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        default="GET", description="HTTP method"
    )
    url: str = Field(min_length=1, max_length=8192, description="http(s) URL; may hold expressions")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers")
    query: dict[str, Any] = Field(
        default_factory=dict, description="Query parameters (a list value repeats the name)"
    )
    body: Any = Field(default=None, description="Request body (object, list or text)")
    body_type: Literal["json", "form", "multipart", "raw", "none"] = Field(
        default="json", description="How the body is encoded"
    )
    integration_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Integration whose credentials authenticate the call",
    )
    timeout_s: float = Field(
        default=30, gt=0, le=3600, description="Time limit of the request, in seconds"
    )
    response: Literal["json", "text", "binary"] = Field(
        default="json", description="How to read the response body"
    )
    follow_redirects: bool = Field(default=True, description="Follow 3xx redirects")
    fail_on_status: bool = Field(
        default=True, description="Treat a 4xx/5xx answer as an error (else emit it as an item)"
    )
    pagination: Pagination | None = Field(default=None, description="Fetch several pages")
    max_response_bytes: int | None = Field(
        default=None,
        ge=1,
        le=MAX_RESPONSE_BYTES,
        description="Largest response body read, in bytes after decompression (default: the "
        "server's WIREWORK_HTTP_MAX_RESPONSE_BYTES; at most its "
        "WIREWORK_HTTP_MAX_RESPONSE_BYTES_CEILING)",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if is_expression(value):
            return value
        if value.startswith("/"):
            return value  # relative to the integration's base_url (checked below)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _body(self) -> HttpRequestParams:
        problems: list[tuple[str, str]] = []
        if self.body_type == "none" and self.body is not None:
            problems.append(("body", "is given but body_type is none"))
        if self.url.startswith("/") and self.integration_id is None:
            problems.append(
                ("url", "a relative URL needs an integration_id (its base_url is prepended)")
            )
        check_problems(problems)
        return self


# --------------------------------------------------------------------------- running


def _body_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    body, body_type = params.get("body"), params.get("body_type", "json")
    if body is None or body_type == "none":
        return {}
    if body_type == "json":
        return {"json": body}
    if body_type == "form":
        if not isinstance(body, dict):
            raise NodeError("params.body: a form body must be an object", retryable=False)
        return {"data": {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}}
    if body_type == "multipart":
        if not isinstance(body, dict):
            raise NodeError("params.body: a multipart body must be an object", retryable=False)
        files = {}
        data = {}
        for key, value in body.items():
            if isinstance(value, dict) and "data" in value:  # {filename, content_type, data(b64)}
                files[key] = (
                    value.get("filename") or key,
                    base64.b64decode(str(value["data"])),
                    value.get("content_type") or "application/octet-stream",
                )
            else:
                data[key] = value if isinstance(value, str) else json.dumps(value)
        return {"data": data, "files": files}
    # raw
    return {"content": body if isinstance(body, str | bytes) else json.dumps(body)}


def _where(response: httpx.Response) -> str:
    """The request of a response for messages: method and URL without its query (which may
    carry credentials)."""
    request = response.request
    return f"{request.method} {request.url.copy_with(query=None, fragment=None)}"


def _read(response: httpx.Response, kind: str) -> Any:
    if kind == "binary":
        return {
            "data": base64.b64encode(response.content).decode("ascii"),
            "content_type": response.headers.get("content-type", ""),
            "size": len(response.content),
            "status": response.status_code,
        }
    if kind == "text":
        return {
            "body": response.text,
            "status": response.status_code,
            "headers": dict(response.headers),
        }
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        raise NodeError(
            f"response of {_where(response)} is not JSON (set params.response to text)",
            retryable=False,
        ) from None


def _check_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    snippet = response.text[:300]
    retryable = response.status_code >= 500 or response.status_code == 429
    raise NodeError(
        f"HTTP {response.status_code} from {_where(response)}: {snippet}",
        retryable=retryable,
        details={"status": response.status_code},
    )


def _response_limit(params: dict[str, Any]) -> int:
    """The node's response-size limit: its max_response_bytes, or the server's default."""
    limits = policy()
    wanted = params.get("max_response_bytes")
    if wanted is None:
        return limits.max_response_bytes
    if int(wanted) > limits.max_response_bytes_ceiling:
        raise NodeError(
            f"params.max_response_bytes: {wanted} is above the server's ceiling of "
            f"{limits.max_response_bytes_ceiling} bytes "
            "(WIREWORK_HTTP_MAX_RESPONSE_BYTES_CEILING)",
            retryable=False,
        )
    return int(wanted)


class _Sender:
    """Sends this node's request (method, headers, body, credentials) to a URL."""

    def __init__(
        self, client: OutboundClient, params: dict[str, Any], credentials: CredentialAuth | None
    ) -> None:
        self.client = client
        self.method = str(params.get("method", "GET"))
        self.headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
        self.body = _body_kwargs(params)
        self.credentials = credentials

    async def __call__(self, url: str, query: dict[str, Any] | None) -> httpx.Response:
        return await self.client.request(
            self.method,
            url,
            query=query,
            headers=self.headers,
            credentials=self.credentials,
            **self.body,
        )


async def run_http_request(ctx: NodeContext, item: Item, params: dict[str, Any]) -> list[Item]:
    url = str(params["url"])
    credentials = None
    if params.get("integration_id"):
        integration_id = int(params["integration_id"])
        values = await ctx.credentials(integration_id)
        credentials = CredentialAuth.from_credentials(values, integration_id)
        if values.get("base_url") and not ABSOLUTE.match(url):
            url = urljoin(str(values["base_url"]).rstrip("/") + "/", url.lstrip("/"))
    if not ABSOLUTE.match(url):
        raise NodeError(f"params.url: {url!r} is not an http(s) URL", retryable=False)
    limit = _response_limit(params)
    query = dict(params.get("query") or {})
    kind = params.get("response", "json")
    try:
        async with OutboundClient(
            timeout=float(params.get("timeout_s", 30)),
            follow_redirects=bool(params.get("follow_redirects", True)),
            max_response_bytes=limit,
        ) as client:
            send = _Sender(client, params, credentials)
            if params.get("pagination"):
                return await _paginate(send, params, url, query, kind)
            response = await send(url, query)
            if params.get("fail_on_status", True):
                _check_status(response)
            elif response.status_code >= 400:
                return [
                    {
                        "status": response.status_code,
                        "body": response.text,
                        "headers": dict(response.headers),
                    }
                ]
            return as_items(_read(response, kind))
    except (BlockedAddress, CredentialHostRefused) as exc:
        raise NodeError(str(exc), retryable=False) from None
    except ResponseTooLarge as exc:
        raise NodeError(
            f"{exc}: set params.max_response_bytes (at most the server's "
            "WIREWORK_HTTP_MAX_RESPONSE_BYTES_CEILING) or the server's "
            "WIREWORK_HTTP_MAX_RESPONSE_BYTES to read more",
            retryable=False,
        ) from None
    except httpx.TimeoutException:
        raise NodeError(f"request to {url} timed out") from None
    except httpx.HTTPError as exc:
        raise NodeError(f"request to {url} failed: {exc}") from None


async def _paginate(
    send: _Sender, params: dict[str, Any], url: str, query: dict[str, Any], kind: str
) -> list[Item]:
    pages = params["pagination"]
    mode = pages["mode"]
    param = pages.get("param")
    size = pages.get("page_size")
    if size and pages.get("size_param"):
        query[pages["size_param"]] = size
    position: Any = pages.get("start")
    if position is None:
        position = 1 if mode == "page" else 0
    out: list[Item] = []
    next_url: str | None = url
    for _ in range(int(pages.get("max_pages", 100))):
        if mode in ("page", "offset") and param:
            query[param] = position
        request_url = next_url if mode == "next_url" and next_url else url
        response = await send(request_url, query if request_url == url else None)
        _check_status(response)
        body = _read(response, kind)
        items_field = pages.get("items_field")
        items = get_path(body, items_field) if items_field else body
        page_items = as_items(items) if items is not None else []
        out.extend(page_items)
        if mode == "page":
            position += 1
        elif mode == "offset":
            position += int(size or len(page_items) or 1)
        elif mode == "cursor":
            cursor = get_path(body, pages["next_field"])
            if not cursor:
                break
            query[param or "cursor"] = cursor
        elif mode == "next_url":
            found = get_path(body, pages["next_field"]) if pages.get("next_field") else None
            if not found:
                match = LINK_NEXT.search(response.headers.get("link", ""))
                found = match.group(1) if match else None
            if not found:
                break
            next_url = urljoin(str(response.request.url), str(found))
        if mode in ("page", "offset") and (not page_items or (size and len(page_items) < size)):
            break
    return out

"""Running ``core.http_request``: one request (or one paginated series) per input item.

Authentication from an integration's credentials, by the fields it has:
``username`` + ``password`` → Basic; ``token`` / ``api_token`` / ``access_token`` /
``bearer_token`` → ``Authorization: Bearer``; ``api_key`` → the header named by
``api_key_header`` (default ``X-API-Key``), or with ``api_key_query`` set, the query parameter
of that name; ``headers`` (an object) → extra headers; ``base_url`` → relative URLs are
resolved against it.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import urljoin

import httpx

from wirework.nodes.base import get_path
from wirework.sdk.node import Item, NodeContext, NodeError, as_items
from wirework.sdk.outbound import BlockedAddress, guarded_client

TOKEN_FIELDS = ("token", "api_token", "access_token", "bearer_token")
# Credential fields whose values go into request headers (``headers``, an object, too).
HEADER_FIELDS = (*TOKEN_FIELDS, "api_key", "api_key_header", "username", "password")
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def apply_auth(
    credentials: dict[str, Any], headers: dict[str, str], query: dict[str, Any] | None = None
) -> httpx.Auth | None:
    """Put an integration's credentials on a request: headers (and ``query``, for an API key
    sent as a query parameter); returns the Basic auth to use, if any."""
    extra = credentials.get("headers")
    if isinstance(extra, dict):
        headers.update({str(k): str(v) for k, v in extra.items()})
    for field in TOKEN_FIELDS:
        if credentials.get(field):
            headers.setdefault("Authorization", f"Bearer {credentials[field]}")
            break
    if credentials.get("api_key"):
        if credentials.get("api_key_query") and query is not None:
            query.setdefault(str(credentials["api_key_query"]), str(credentials["api_key"]))
        else:
            headers.setdefault(
                str(credentials.get("api_key_header") or "X-API-Key"), str(credentials["api_key"])
            )
    if credentials.get("username") is not None and credentials.get("password") is not None:
        return httpx.BasicAuth(str(credentials["username"]), str(credentials["password"]))
    return None


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
            f"response of {response.request.url} is not JSON (set params.response to text)",
            retryable=False,
        ) from None


def _check_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    snippet = response.text[:300]
    retryable = response.status_code >= 500 or response.status_code == 429
    raise NodeError(
        f"HTTP {response.status_code} from {response.request.method} {response.request.url}: "
        f"{snippet}",
        retryable=retryable,
        details={"status": response.status_code},
    )


async def run_http_request(ctx: NodeContext, item: Item, params: dict[str, Any]) -> list[Item]:
    headers = {str(k): str(v) for k, v in (params.get("headers") or {}).items()}
    auth = None
    url = str(params["url"])
    query = dict(params.get("query") or {})
    if params.get("integration_id"):
        credentials = await ctx.credentials(int(params["integration_id"]))
        auth = apply_auth(credentials, headers, query)
        if credentials.get("base_url") and not re.match(r"^https?://", url):
            url = urljoin(str(credentials["base_url"]).rstrip("/") + "/", url.lstrip("/"))
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise NodeError(f"params.url: {url!r} is not an http(s) URL", retryable=False)
    kind = params.get("response", "json")
    pagination = params.get("pagination")
    try:
        async with guarded_client(
            timeout=float(params.get("timeout_s", 30)),
            follow_redirects=bool(params.get("follow_redirects", True)),
        ) as client:
            if not pagination:
                response = await client.request(
                    params.get("method", "GET"),
                    url,
                    params=query,
                    headers=headers,
                    auth=auth,
                    **_body_kwargs(params),
                )
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
            return await _paginate(client, params, url, query, headers, auth, kind)
    except BlockedAddress as exc:
        raise NodeError(str(exc), retryable=False) from None
    except httpx.TimeoutException:
        raise NodeError(f"request to {url} timed out") from None
    except httpx.HTTPError as exc:
        raise NodeError(f"request to {url} failed: {exc}") from None


async def _paginate(
    client: httpx.AsyncClient,
    params: dict[str, Any],
    url: str,
    query: dict[str, Any],
    headers: dict[str, str],
    auth: httpx.Auth | None,
    kind: str,
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
        response = await client.request(
            params.get("method", "GET"),
            request_url,
            params=query if mode != "next_url" or request_url == url else None,
            headers=headers,
            auth=auth,
            **_body_kwargs(params),
        )
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

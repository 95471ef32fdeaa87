"""How a service's answers become the errors users read: the service's own message and status.

An integration may give ``error_message(response) -> str | None`` to read its vendor's error
body (Jira's ``errorMessages``/``errors``, GitHub's ``message``/``errors``); without one, a
few common shapes are tried (``message``, ``error``, ``error_description``, ``detail``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import ValidationError

from wirework.sdk.node import NodeError

ErrorReader = Callable[[httpx.Response], "str | None"]
MAX_MESSAGE = 1000


def response_json(response: httpx.Response) -> Any:
    """The JSON body of a response, or None when it has none (or is not JSON)."""
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def generic_message(response: httpx.Response) -> str | None:
    """The message of common error shapes, else the start of the body as text."""
    body = response_json(response)
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "detail", "description"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    text = response.text.strip() if response.content else ""
    return text[:300] or None


class ServiceError(NodeError):
    """A service answered with an error status. ``message`` names the service, the status
    and the service's own words; ``details`` has ``status``, ``service`` and
    ``service_message`` for error outputs and expressions."""

    def __init__(
        self,
        service: str,
        response: httpx.Response,
        service_message: str | None,
        *,
        retryable: bool,
        hide: tuple[str, ...] = (),
    ) -> None:
        request = response.request
        where = f"{request.method} {request.url.copy_with(query=None, fragment=None).path}"
        said = (service_message or response.reason_phrase or "no message").strip()
        if len(said) > MAX_MESSAGE:
            said = said[:MAX_MESSAGE] + "…"
        for value in hide:  # credentials in the URL path (Telegram's bot token)
            if value:
                where = where.replace(value, "***")
                said = said.replace(value, "***")
        super().__init__(
            f"{service} answered HTTP {response.status_code} to {where}: {said}",
            retryable=retryable,
            details={
                "status": response.status_code,
                "service": service,
                "service_message": said,
            },
        )
        self.status = response.status_code


def validation_message(exc: ValidationError, prefix: str) -> str:
    """A pydantic error as ``prefix.field: message; …`` without the values given (they may be
    secrets)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        location = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(
            f"{prefix}.{location}: {error.get('msg', 'is invalid')}"
            if location
            else f"{prefix}: {error.get('msg', 'is invalid')}"
        )
    return "; ".join(parts) or f"{prefix}: invalid"


def dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))

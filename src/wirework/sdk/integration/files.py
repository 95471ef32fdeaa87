"""Files in items: the binary shape webhooks and the HTTP node produce
(``{"filename", "content_type", "data": <base64>}``), or a bare base64 string, read for an
upload (Slack's files, Telegram's photos)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from wirework.sdk.node import NodeError


@dataclass(frozen=True)
class FileData:
    content: bytes
    filename: str | None = None
    content_type: str | None = None


def _path(item: Any, field: str) -> Any:
    value = item
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def file_from_item(item: Any, field: str, param: str = "params.binary_field") -> FileData:
    """The file in ``item[field]`` (dots for nested fields): a binary object
    (``{"data": <base64>, "filename", "content_type"}``) or a base64 string; a NodeError
    naming ``param`` when it is missing or not base64."""
    value = _path(item, field)
    if value is None:
        raise NodeError(f"{param}: the item has no field {field!r}", retryable=False)
    filename = content_type = None
    if isinstance(value, dict):
        filename = value.get("filename") if isinstance(value.get("filename"), str) else None
        ctype = value.get("content_type")
        content_type = ctype if isinstance(ctype, str) and ctype else None
        value = value.get("data")
    if not isinstance(value, str):
        raise NodeError(
            f"{param}: the item's {field!r} is not base64 data or a binary object",
            retryable=False,
        )
    try:
        content = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise NodeError(
            f"{param}: the item's {field!r} is not valid base64", retryable=False
        ) from None
    return FileData(content, filename, content_type)

"""Files in items: the binary shape webhooks and the HTTP node produce
(``{"filename", "content_type", "data": <base64>}``), or a bare base64 string, read for an
upload (Slack's files, Telegram's photos); and the content parameter of object-storage
uploads and downloads (S3, Azure Blob): text, base64 or a binary object."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

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


# --------------------------------------------------------------------------- upload, download

UploadEncoding = Annotated[
    Literal["text", "base64", "binary"],
    Field(
        description="How content is given: text (stored as UTF-8), base64, or binary (an "
        "item's binary object, e.g. core.http_request with response binary)"
    ),
]
"""An upload action's ``encoding`` (declare it as ``encoding: UploadEncoding = "text"``)."""

DownloadEncoding = Annotated[
    Literal["text", "base64"],
    Field(description="Emit the content as text (UTF-8) or base64"),
]
"""A download action's ``encoding`` (``encoding: DownloadEncoding = "text"``)."""

TEXT_TYPE = "text/plain; charset=utf-8"


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise NodeError("params.content is not valid base64", retryable=False) from None


def content_bytes(content: str | dict[str, Any], encoding: str) -> tuple[bytes, str | None]:
    """An upload's ``params.content`` as bytes, with the content type it implies: a binary
    object's own, text/plain for text, None for base64. NodeErrors name params.content."""
    if encoding == "binary":
        if not isinstance(content, dict) or not isinstance(content.get("data"), str):
            raise NodeError(
                "params.content: with encoding binary it must be a binary object "
                '{"data": <base64>, "content_type": …} (as core.http_request emits)',
                retryable=False,
            )
        kind = content.get("content_type")
        return _b64(content["data"]), str(kind) if kind else None
    if not isinstance(content, str):
        raise NodeError(
            f"params.content: with encoding {encoding} it must be a string", retryable=False
        )
    if encoding == "base64":
        return _b64(content), None
    return content.encode("utf-8"), TEXT_TYPE


def content_text(data: bytes, encoding: str, service: str, name: str) -> str:
    """A download's bytes as the action emits them: UTF-8 text (a NodeError naming the
    service and ``name`` when they are not) or base64."""
    if encoding == "text":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise NodeError(
                f"{service}: {name} is not UTF-8 text: read it with encoding base64",
                retryable=False,
            ) from None
    return base64.b64encode(data).decode("ascii")

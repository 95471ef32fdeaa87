"""``ai.load_document`` (documents from binary items, URLs or text) and ``ai.split_text``
(documents cut into chunks for embedding). Both run per item; the formats are in
``loaders.py``, the splitting in ``splitters.py``."""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import httpx
from pydantic import Field, model_validator

from wirework.nodes.ai.retrieval.loaders import (
    CsvMode,
    DocFormat,
    LoadError,
    LoadOptions,
    PdfMode,
    load,
)
from wirework.nodes.ai.retrieval.splitters import SizeUnit, SplitMode, split_text
from wirework.nodes.base import ParamsModel, check_problems, get_path
from wirework.sdk.integration.files import file_from_item
from wirework.sdk.node import Item, NodeContext, NodeError
from wirework.sdk.outbound import BlockedAddress, ResponseTooLarge, guarded_client, policy
from wirework.sdk.registry import NodeSpec, registry

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_BYTES_CEILING = 200 * 1024 * 1024
# Documents at most this large are parsed inline; larger ones in a worker thread.
INLINE_BYTES = 256 * 1024


class LoadDocumentParams(ParamsModel):
    source: Literal["binary", "url", "text"] = Field(
        default="binary",
        description="binary: a file in the item (as core.http_request with response binary "
        "or a webhook upload gives it); url: fetch it; text: the text parameter",
    )
    binary_field: str = Field(
        default="data",
        min_length=1,
        max_length=200,
        description="source binary: the item's field holding the file (dots for nested)",
    )
    url: str = Field(default="", max_length=8000, description="source url: the http(s) URL")
    text: str = Field(default="", description="source text: the content (an expression)")
    format: DocFormat = Field(
        default=DocFormat.AUTO,
        description="auto: from the content type, the file name, then the content",
    )
    csv_mode: CsvMode = Field(
        default=CsvMode.ROWS,
        description="CSV: a document per row (rows, 'column: value' lines) or one for all",
    )
    csv_delimiter: str | None = Field(
        default=None,
        min_length=1,
        max_length=1,
        description="CSV: the delimiter (none: detected among , ; tab |)",
    )
    pdf_mode: PdfMode = Field(
        default=PdfMode.PAGES, description="PDF: a document per page (pages) or one for all"
    )
    max_bytes: int = Field(
        default=DEFAULT_MAX_BYTES,
        ge=1,
        le=MAX_BYTES_CEILING,
        description="Refuse larger files (bytes)",
    )
    max_pages: int = Field(default=2000, ge=1, le=100_000, description="Refuse longer PDFs")
    metadata: dict[str, Any] = Field(
        default_factory=dict, description="More metadata for every document (e.g. tags)"
    )
    timeout_s: float = Field(default=60, gt=0, le=600, description="source url: timeout")

    @model_validator(mode="after")
    def _check(self) -> LoadDocumentParams:
        problems: list[tuple[str, str]] = []
        if self.source == "url" and not self.url:
            problems.append(("url", "is required with source url"))
        check_problems(problems)
        return self


def _label(ctx: NodeContext, item: Item) -> str:
    for index, candidate in enumerate(ctx.items):
        if candidate is item:
            return f"item {index}"
    return "an item"


async def _fetch(url: str, limit: int, timeout_s: float) -> tuple[bytes, str | None]:
    if not url.lower().startswith(("http://", "https://")):
        raise NodeError(f"params.url: {url!r} is not an http(s) URL", retryable=False)
    try:
        async with guarded_client(
            timeout=timeout_s, follow_redirects=True, max_response_bytes=limit
        ) as client:
            response = await client.get(url)
    except BlockedAddress as exc:
        raise NodeError(f"params.url: {exc}", retryable=False) from None
    except ResponseTooLarge:
        raise NodeError(
            f"{url}: the document is larger than params.max_bytes ({limit} bytes)",
            retryable=False,
        ) from None
    except httpx.TimeoutException:
        raise NodeError(f"{url}: timed out after {timeout_s:g} s") from None
    except httpx.HTTPError as exc:
        raise NodeError(f"{url}: request failed: {exc}") from None
    if response.status_code >= 400:
        raise NodeError(
            f"{url}: HTTP {response.status_code}",
            retryable=response.status_code == 429 or response.status_code >= 500,
            details={"status": response.status_code},
        )
    return response.content, response.headers.get("content-type")


async def _content(item: Item, p: LoadDocumentParams) -> tuple[bytes, str | None, str | None, str]:
    """(bytes, content type, file name, source) of the item's document."""
    limit = min(p.max_bytes, policy().max_response_bytes_ceiling)
    if p.source == "url":
        data, ctype = await _fetch(p.url, limit, p.timeout_s)
        name = unquote(PurePosixPath(urlsplit(p.url).path).name) or None
        return data, ctype, name, p.url
    if p.source == "text":
        data = p.text.encode("utf-8")
        ctype = "text/plain" if p.format == DocFormat.AUTO else None
    else:
        file = file_from_item(item, p.binary_field)
        data, ctype = file.content, file.content_type
        if len(data) > p.max_bytes:
            raise NodeError(
                f"the file is {len(data)} bytes, more than params.max_bytes ({p.max_bytes})",
                retryable=False,
            )
        return data, ctype, file.filename, file.filename or p.binary_field
    if len(data) > p.max_bytes:
        raise NodeError(
            f"the text is {len(data)} bytes, more than params.max_bytes ({p.max_bytes})",
            retryable=False,
        )
    return data, ctype, None, "text"


async def run_load_document(ctx: NodeContext, item: Item, params: dict[str, Any]) -> list[Item]:
    p = LoadDocumentParams.model_validate(params, strict=False)
    label = _label(ctx, item)
    try:
        data, ctype, name, source = await _content(item, p)
    except NodeError as exc:
        exc.message = f"{label}: {exc.message}"
        exc.args = (exc.message,)
        raise
    options = LoadOptions(p.format, p.csv_mode, p.csv_delimiter, p.pdf_mode, p.max_pages)
    try:
        if len(data) <= INLINE_BYTES:
            documents = load(data, content_type=ctype, filename=name, options=options)
        else:
            documents = await asyncio.to_thread(
                load, data, content_type=ctype, filename=name, options=options
            )
    except LoadError as exc:
        raise NodeError(f"{label} ({source}): {exc}", retryable=False) from None
    out = []
    for document in documents:
        metadata = {"source": source, **document.metadata, **p.metadata}
        out.append({"text": document.text, "metadata": metadata})
    return out


class SplitTextParams(ParamsModel):
    mode: SplitMode = Field(
        default=SplitMode.RECURSIVE,
        description="recursive: paragraphs, lines, sentences, words; markdown: sections "
        "under headings first (each chunk's metadata has its heading path)",
    )
    chunk_size: int = Field(default=1000, ge=1, le=1_000_000, description="Largest chunk")
    chunk_overlap: int = Field(
        default=200,
        ge=0,
        le=1_000_000,
        description="Carried over from the end of a chunk to the start of the next (at most)",
    )
    unit: SizeUnit = Field(
        default=SizeUnit.CHARACTERS,
        description="Sizes in characters, or approximate tokens (4 characters each)",
    )
    text_field: str = Field(
        default="text", min_length=1, max_length=200, description="The item's text field"
    )
    metadata_field: str = Field(
        default="metadata",
        min_length=1,
        max_length=200,
        description="The item's metadata object (copied into every chunk's)",
    )

    @model_validator(mode="after")
    def _check(self) -> SplitTextParams:
        problems: list[tuple[str, str]] = []
        if self.chunk_overlap >= self.chunk_size:
            problems.append(("chunk_overlap", "must be less than chunk_size"))
        check_problems(problems)
        return self


async def run_split_text(ctx: NodeContext, item: Item, params: dict[str, Any]) -> list[Item]:
    p = SplitTextParams.model_validate(params, strict=False)
    text = get_path(item, p.text_field)
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise NodeError(
            f"{_label(ctx, item)}: params.text_field: {p.text_field!r} is not text",
            retryable=False,
        )
    base = get_path(item, p.metadata_field)
    metadata = dict(base) if isinstance(base, dict) else {}
    chunks = split_text(
        text, chunk_size=p.chunk_size, overlap=p.chunk_overlap, unit=p.unit, mode=p.mode
    )
    out = []
    for index, chunk in enumerate(chunks):
        meta = {**metadata, "chunk": index, "chunks": len(chunks), "start": chunk.start}
        if p.mode == SplitMode.MARKDOWN:
            meta["headings"] = chunk.headings
        out.append({"text": chunk.text, "metadata": meta})
    return out


LOAD_DOCUMENT = registry.register_node(
    NodeSpec(
        type="ai.load_document",
        display_name="Load document",
        description="Text, Markdown, HTML, CSV or PDF from a file, a URL or text, as "
        "documents {text, metadata}",
        group="data",
        category="AI",
        icon="file-text",
        params=LoadDocumentParams,
        run_item=run_load_document,
    )
)
SPLIT_TEXT = registry.register_node(
    NodeSpec(
        type="ai.split_text",
        display_name="Split text",
        description="Cut documents into overlapping chunks (by characters or approximate "
        "tokens; Markdown sections)",
        group="data",
        category="AI",
        icon="scissors",
        params=SplitTextParams,
        run_item=run_split_text,
    )
)

"""Documents from bytes: plain text, Markdown, HTML (clean text: scripts, styles, navigation
dropped; headings kept as Markdown ``#`` lines, links as their text), CSV (a document per
row, or one for the table) and PDF (a document per page, or one for the file).

Pure functions, no I/O: :func:`load` takes the bytes and what is known of them (content
type, file name) and returns :class:`Document` s, or raises :class:`LoadError` saying what
is wrong (the node adds which item).
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode


class LoadError(ValueError):
    """The content cannot be read as the format it is (or its format is unknown)."""


class DocFormat(enum.StrEnum):
    AUTO = "auto"
    TEXT = "text"
    MARKDOWN = "markdown"
    HTML = "html"
    CSV = "csv"
    PDF = "pdf"


MIME = {
    DocFormat.TEXT: "text/plain",
    DocFormat.MARKDOWN: "text/markdown",
    DocFormat.HTML: "text/html",
    DocFormat.CSV: "text/csv",
    DocFormat.PDF: "application/pdf",
}
BY_TYPE = {
    "text/plain": DocFormat.TEXT,
    "text/markdown": DocFormat.MARKDOWN,
    "text/x-markdown": DocFormat.MARKDOWN,
    "text/html": DocFormat.HTML,
    "application/xhtml+xml": DocFormat.HTML,
    "text/csv": DocFormat.CSV,
    "application/csv": DocFormat.CSV,
    "text/tab-separated-values": DocFormat.CSV,
    "application/pdf": DocFormat.PDF,
}
BY_SUFFIX = {
    ".txt": DocFormat.TEXT,
    ".text": DocFormat.TEXT,
    ".log": DocFormat.TEXT,
    ".md": DocFormat.MARKDOWN,
    ".markdown": DocFormat.MARKDOWN,
    ".html": DocFormat.HTML,
    ".htm": DocFormat.HTML,
    ".xhtml": DocFormat.HTML,
    ".csv": DocFormat.CSV,
    ".tsv": DocFormat.CSV,
    ".pdf": DocFormat.PDF,
}
# Dropped with everything inside them.
HTML_DROPPED = (
    "script, style, noscript, template, nav, svg, canvas, iframe, object, embed, "
    "[role=navigation], [aria-hidden=true], [hidden]"
)
HTML_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
        "caption",
    ]
)
HEADINGS = {f"h{n}": n for n in range(1, 7)}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_MD_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


class CsvMode(enum.StrEnum):
    ROWS = "rows"
    DOCUMENT = "document"


class PdfMode(enum.StrEnum):
    PAGES = "pages"
    DOCUMENT = "document"


@dataclass
class Document:
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def as_item(self) -> dict[str, Any]:
        return {"text": self.text, "metadata": self.metadata}


@dataclass(frozen=True)
class LoadOptions:
    format: DocFormat = DocFormat.AUTO
    csv_mode: CsvMode = CsvMode.ROWS
    csv_delimiter: str | None = None
    pdf_mode: PdfMode = PdfMode.PAGES
    max_pages: int = 2000


# --------------------------------------------------------------------------- format


def detect(data: bytes, content_type: str | None, filename: str | None) -> DocFormat:
    """The format from the content type, else the file name's suffix, else the bytes."""
    mime = (content_type or "").split(";")[0].strip().lower()
    suffix = PurePosixPath(filename or "").suffix.lower()
    found = BY_TYPE.get(mime)
    if found == DocFormat.TEXT and suffix in BY_SUFFIX:  # text/plain for a .md or .csv file
        return BY_SUFFIX[suffix]
    if found is not None:
        return found
    if suffix in BY_SUFFIX:
        return BY_SUFFIX[suffix]
    head = data[:1024].lstrip().lower()
    if head.startswith(b"%pdf-"):
        return DocFormat.PDF
    if head.startswith((b"<!doctype html", b"<html")):
        return DocFormat.HTML
    if mime and not mime.startswith("text/"):
        raise LoadError(f"unknown document type {mime!r} (text, Markdown, HTML, CSV or PDF)")
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 4090:  # not just a character cut at the end of the sample
            raise LoadError(
                "unknown document type: not text, Markdown, HTML, CSV or PDF "
                "(set params.format if it is one of them)"
            ) from None
    return DocFormat.TEXT


def decode(data: bytes, content_type: str | None) -> str:
    """Text from bytes: UTF-8 (a BOM is dropped), else the content type's charset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.IGNORECASE)
    if match:
        try:
            return data.decode(match.group(1))
        except (LookupError, UnicodeDecodeError):
            pass
    raise LoadError("the content is not UTF-8 text (and its content type names no charset)")


# --------------------------------------------------------------------------- formats


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _html_text(node: LexborNode, out: list[str]) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append(child.text_content or "")
            continue
        if tag in HEADINGS:
            heading = _SPACES.sub(" ", child.text(separator=" ")).strip()
            if heading:
                out.append(f"\n\n{'#' * HEADINGS[tag]} {heading}\n\n")
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag == "li":
            out.append("\n- ")
            _html_text(child, out)
            continue
        block = tag in HTML_BLOCKS
        if block:
            out.append("\n\n" if tag in ("p", "table", "blockquote", "pre", "ul", "ol") else "\n")
        elif tag in ("td", "th"):
            out.append(" | ")
        _html_text(child, out)
        if block:
            out.append("\n")


def load_html(text: str) -> Document:
    tree = LexborHTMLParser(text)
    title_node = tree.css_first("title")
    title = _SPACES.sub(" ", title_node.text()).strip() if title_node is not None else ""
    for node in tree.css(HTML_DROPPED):
        node.decompose()
    out: list[str] = []
    root = tree.body or tree.root
    if root is not None:
        _html_text(root, out)
    metadata: dict[str, Any] = {"mime": MIME[DocFormat.HTML]}
    if title:
        metadata["title"] = title
    return Document(_tidy("".join(out)), metadata)


def load_markdown(text: str) -> Document:
    metadata: dict[str, Any] = {"mime": MIME[DocFormat.MARKDOWN]}
    match = _MD_TITLE.search(text)
    if match:
        metadata["title"] = match.group(1).strip()
    return Document(text.strip(), metadata)


def load_csv(text: str, mode: CsvMode, delimiter: str | None) -> list[Document]:
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            return []
        names = [h.strip() or f"column{i + 1}" for i, h in enumerate(header)]
        rows = []
        for number, row in enumerate(reader, 1):
            if not any(cell.strip() for cell in row):
                continue
            pairs = [
                f"{names[i] if i < len(names) else f'column{i + 1}'}: {cell.strip()}"
                for i, cell in enumerate(row)
                if cell.strip()
            ]
            rows.append((number, "\n".join(pairs)))
    except csv.Error as exc:
        raise LoadError(f"not valid CSV: {exc}") from None
    mime = MIME[DocFormat.CSV]
    if mode == CsvMode.DOCUMENT:
        return [Document("\n\n".join(t for _, t in rows), {"mime": mime, "rows": len(rows)})]
    return [Document(t, {"mime": mime, "row": number}) for number, t in rows]


def _pdf_pages(data: bytes, max_pages: int) -> tuple[str | None, Iterator[tuple[int, str]]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("the PDF is encrypted with a password")
        count = len(reader.pages)
        info = reader.metadata
        title = info.title if info is not None else None
    except LoadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AssertionError) as exc:
        raise LoadError(f"not a readable PDF: {exc or type(exc).__name__}") from None
    if count > max_pages:
        raise LoadError(f"the PDF has {count} pages, more than params.max_pages ({max_pages})")

    def pages() -> Iterator[tuple[int, str]]:
        for number in range(count):
            try:
                text = reader.pages[number].extract_text() or ""
            except (PyPdfError, ValueError, KeyError, TypeError, AssertionError) as exc:
                raise LoadError(
                    f"page {number + 1} of the PDF cannot be read: {exc or type(exc).__name__}"
                ) from None
            yield number + 1, text

    return (str(title).strip() or None) if title else None, pages()


def load_pdf(data: bytes, mode: PdfMode, max_pages: int) -> list[Document]:
    title, pages = _pdf_pages(data, max_pages)
    base: dict[str, Any] = {"mime": MIME[DocFormat.PDF]}
    if title:
        base["title"] = title
    read = [(number, _tidy(text)) for number, text in pages]
    if mode == PdfMode.DOCUMENT:
        text = "\n\n".join(t for _, t in read if t)
        return [Document(text, {**base, "pages": len(read)})]
    return [Document(text, {**base, "page": number}) for number, text in read]


def load(
    data: bytes,
    *,
    content_type: str | None = None,
    filename: str | None = None,
    options: LoadOptions | None = None,
) -> list[Document]:
    """The documents in ``data``; their metadata has ``mime`` and, where known, ``title``,
    ``page`` (PDF pages, from 1) or ``row`` (CSV rows, from 1 after the header)."""
    opts = options or LoadOptions()
    kind = opts.format if opts.format != DocFormat.AUTO else detect(data, content_type, filename)
    if kind == DocFormat.PDF:
        if not data.lstrip()[:5].lower().startswith(b"%pdf-"):
            raise LoadError("not a PDF (it does not start with %PDF-)")
        return load_pdf(data, opts.pdf_mode, opts.max_pages)
    text = decode(data, content_type)
    if kind == DocFormat.HTML:
        return [load_html(text)]
    if kind == DocFormat.MARKDOWN:
        return [load_markdown(text)]
    if kind == DocFormat.CSV:
        return load_csv(text, opts.csv_mode, opts.csv_delimiter)
    return [Document(text.strip(), {"mime": MIME[DocFormat.TEXT]})]

"""The document formats on real files: clean HTML text, Markdown titles, CSV rows, PDF pages,
and clear errors for what cannot be read."""

from __future__ import annotations

import pytest

from tests.nodes.ai.retrieval.fixtures import CSV, HTML, MARKDOWN, make_pdf
from wirework.nodes.ai.retrieval.loaders import (
    CsvMode,
    DocFormat,
    LoadError,
    LoadOptions,
    PdfMode,
    detect,
    load,
)


def test_html_keeps_headings_and_link_text_and_drops_scripts_styles_navigation() -> None:
    [doc] = load(HTML, content_type="text/html; charset=utf-8")
    assert doc.metadata == {"mime": "text/html", "title": "Refund policy"}
    assert doc.text == (
        "# Refunds\n\nAsk within 30 days via the help centre.\n\n## Exceptions\n\n"
        "- Gift cards\n- Opened software"
    )
    for gone in ("tracking", "color", "Home", "Shop", "Breadcrumbs", "JavaScript"):
        assert gone not in doc.text


def test_markdown_title_is_its_first_top_heading() -> None:
    [doc] = load(MARKDOWN.encode(), filename="handbook.md")
    assert doc.metadata == {"mime": "text/markdown", "title": "Handbook"}
    assert doc.text.startswith("# Handbook")


def test_csv_rows_or_one_document_with_the_delimiter_detected() -> None:
    rows = load(CSV.encode(), content_type="text/csv")
    assert [d.text for d in rows] == [
        "name: Ada\ncity: London\nplan: pro",
        "name: Linus\ncity: Helsinki\nplan: free",
        "name: Grace\ncity: New York\nplan: pro",
    ]
    assert [d.metadata["row"] for d in rows] == [1, 2, 4]  # the blank line is a row number
    [whole] = load(CSV.encode(), filename="t.csv", options=LoadOptions(csv_mode=CsvMode.DOCUMENT))
    assert whole.metadata == {"mime": "text/csv", "rows": 3}
    assert whole.text.count("name: ") == 3


def test_pdf_text_per_page_with_page_numbers_and_title() -> None:
    pdf = make_pdf(["Hello page one", "Second (page) text"], title="Manual")
    docs = load(pdf)  # sniffed from %PDF-
    assert [(d.text, d.metadata) for d in docs] == [
        ("Hello page one", {"mime": "application/pdf", "title": "Manual", "page": 1}),
        ("Second (page) text", {"mime": "application/pdf", "title": "Manual", "page": 2}),
    ]
    [one] = load(pdf, options=LoadOptions(pdf_mode=PdfMode.DOCUMENT))
    assert one.text == "Hello page one\n\nSecond (page) text"
    assert one.metadata["pages"] == 2


def test_pdf_limits_and_corruption_are_clear_errors() -> None:
    with pytest.raises(LoadError, match="not a readable PDF"):
        load(b"%PDF-1.4\nthis is not a pdf body at all")
    with pytest.raises(LoadError, match="does not start with %PDF-"):
        load(b"hello", options=LoadOptions(format=DocFormat.PDF))
    with pytest.raises(LoadError, match=r"3 pages, more than params\.max_pages"):
        load(make_pdf(["a", "b", "c"]), options=LoadOptions(max_pages=2))


def test_unknown_types_and_bad_text_are_clear_errors() -> None:
    with pytest.raises(LoadError, match="unknown document type 'image/png'"):
        load(b"\x89PNG\r\n\x1a\n....", content_type="image/png")
    with pytest.raises(LoadError, match="unknown document type"):
        load(bytes(range(256)) * 8)
    with pytest.raises(LoadError, match="not UTF-8"):
        load("caf\u00e9".encode("latin-1"), content_type="text/plain")
    # …unless the content type names the charset.
    [doc] = load("caf\u00e9".encode("latin-1"), content_type="text/plain; charset=latin-1")
    assert doc.text == "caf\u00e9"


@pytest.mark.parametrize(
    ("ctype", "name", "data", "expected"),
    [
        ("text/plain", "notes.md", b"# x", DocFormat.MARKDOWN),
        (None, "page.HTM", b"<p>x", DocFormat.HTML),
        (None, None, b"<!DOCTYPE html><p>x", DocFormat.HTML),
        ("application/pdf", None, b"", DocFormat.PDF),
        (None, None, b"plain words", DocFormat.TEXT),
    ],
)
def test_format_detection(
    ctype: str | None, name: str | None, data: bytes, expected: DocFormat
) -> None:
    assert detect(data, ctype, name) == expected

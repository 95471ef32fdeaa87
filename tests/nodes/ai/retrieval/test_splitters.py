"""The splitters: chunk bounds, overlap, offsets, approximate tokens, Markdown sections."""

from __future__ import annotations

import itertools
import random

import pytest

from tests.nodes.ai.retrieval.fixtures import MARKDOWN
from wirework.nodes.ai.retrieval.splitters import (
    SizeUnit,
    SplitMode,
    approx_tokens,
    markdown_sections,
    split_recursive,
    split_text,
)

TEXT = (
    "Refunds are possible within thirty days. Ask the help centre.\n\n"
    "Gift cards cannot be refunded. Opened software neither.\n"
    "Shipping costs are refunded only for faulty goods.\n\n"
    "Contact us any time."
)


def test_short_text_is_one_chunk() -> None:
    [chunk] = split_text("  just this  ", chunk_size=100, overlap=10)
    assert chunk.text == "just this"
    assert chunk.start == 2


def test_paragraphs_first_then_lines_then_sentences() -> None:
    chunks = split_text(TEXT, chunk_size=70, overlap=0)
    assert [c.text for c in chunks] == [
        "Refunds are possible within thirty days. Ask the help centre.",
        "Gift cards cannot be refunded. Opened software neither.",
        "Shipping costs are refunded only for faulty goods.",
        "Contact us any time.",
    ]
    for c in chunks:  # offsets point into the text
        assert TEXT[c.start : c.start + len(c.text)] == c.text


def test_overlap_carries_the_last_pieces_over() -> None:
    text = " ".join(f"w{i:02d}" for i in range(40))  # 40 words of 3 chars
    chunks = split_text(text, chunk_size=20, overlap=8)
    assert all(len(c.text) <= 20 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        # "w03 w04 " (8 characters: two pieces) carried over
        assert after.text.split()[:2] == before.text.split()[-2:]
    words = {w for c in chunks for w in c.text.split()}
    assert words == set(text.split())  # nothing lost


def test_no_chunk_exceeds_the_size_on_any_text() -> None:
    rng = random.Random(7)
    alphabet = "abc de.\n"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        size = rng.randint(1, 60)
        overlap = rng.randint(0, size - 1)
        chunks = split_recursive(text, size, overlap)
        assert all(0 < len(c.text) <= size for c in chunks)
        assert all(text[c.start : c.start + len(c.text)] == c.text for c in chunks)
        # every non-space character is in some chunk
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.start + len(c.text)))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_a_word_longer_than_the_chunk_is_cut() -> None:
    assert [c.text for c in split_text("x" * 25, chunk_size=10, overlap=0)] == [
        "x" * 10,
        "x" * 10,
        "x" * 5,
    ]


def test_tokens_are_four_characters() -> None:
    assert approx_tokens("") == 0
    assert approx_tokens("abcde") == 2
    chunks = split_text("word " * 100, chunk_size=10, overlap=0, unit=SizeUnit.TOKENS)
    assert all(len(c.text) <= 40 for c in chunks)
    assert max(len(c.text) for c in chunks) > 30


def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="less than chunk_size"):
        split_text("abc", chunk_size=5, overlap=5)


def test_markdown_sections_keep_the_heading_path_and_ignore_code() -> None:
    sections = markdown_sections(MARKDOWN)
    assert [s.headings for s in sections] == [
        ["Handbook"],
        ["Handbook", "Holidays"],
        ["Handbook", "Holidays", "Carry-over"],
        ["Appendix"],
    ]
    assert "# not a heading, code" in sections[1].text
    chunks = split_text(MARKDOWN, chunk_size=1000, overlap=0, mode=SplitMode.MARKDOWN)
    assert [c.text.splitlines()[0] for c in chunks] == [
        "# Handbook",
        "## Holidays",
        "### Carry-over",
        "# Appendix",
    ]
    assert chunks[2].headings == ["Handbook", "Holidays", "Carry-over"]
    for c in chunks:
        assert MARKDOWN[c.start : c.start + len(c.text)] == c.text

"""Text splitters: chunks of at most ``chunk_size`` with ``overlap`` carried over.

Recursive: a text longer than the chunk size is cut at paragraphs (blank lines), pieces
still too long at lines, then sentences, then words, and only then anywhere; the pieces are
then packed greedily into chunks, and each chunk after the first starts with the last
pieces of the one before that fit in ``overlap``. No chunk is longer than ``chunk_size``.

Sizes are in characters, or in *approximate tokens*: 4 characters a token (what OpenAI's
tokenizers give on average for English text; other languages and code run higher), so a
token size is its characters divided by 4 — no tokenizer is downloaded or run.

Markdown mode cuts at ATX headings (``#`` … ``######``, not inside fenced code) first and
splits each section on its own; each chunk carries its heading path.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

CHARS_PER_TOKEN = 4
_SENTENCE_END = re.compile(r"(?<=[.!?;:\u3002\uff01\uff1f])\s+")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
SEPARATORS: tuple[str | re.Pattern[str], ...] = ("\n\n", "\n", _SENTENCE_END, " ")


class SizeUnit(enum.StrEnum):
    CHARACTERS = "characters"
    TOKENS = "tokens"


class SplitMode(enum.StrEnum):
    RECURSIVE = "recursive"
    MARKDOWN = "markdown"


def approx_tokens(text: str) -> int:
    """The approximate token count used by ``unit="tokens"``: characters / 4, rounded up."""
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Chunk:
    text: str
    start: int  # offset of the chunk's first character in the text it came from
    headings: list[str] = field(default_factory=list)


def _cut(text: str, sep: str | re.Pattern[str]) -> list[str]:
    """``text`` cut after each separator (kept at the end of its piece): they join back."""
    if isinstance(sep, str):
        parts = text.split(sep)
        return [p + sep for p in parts[:-1]] + [parts[-1]]
    out, last = [], 0
    for match in sep.finditer(text):
        out.append(text[last : match.end()])
        last = match.end()
    out.append(text[last:])
    return out


def _atoms(text: str, size: int, seps: tuple[str | re.Pattern[str], ...]) -> Iterator[str]:
    """Pieces of ``text`` of at most ``size`` characters that join back to ``text``."""
    if len(text) <= size:
        yield text
        return
    for i, sep in enumerate(seps):
        parts = [p for p in _cut(text, sep) if p]
        if len(parts) > 1:
            for part in parts:
                yield from _atoms(part, size, seps[i + 1 :])
            return
    for start in range(0, len(text), size):
        yield text[start : start + size]


def split_recursive(text: str, size: int, overlap: int, base: int = 0) -> list[Chunk]:
    """Chunks of ``text`` (sizes in characters; ``base`` is added to the offsets)."""
    if size < 1:
        raise ValueError("chunk_size must be at least 1")
    if not 0 <= overlap < size:
        raise ValueError("chunk_overlap must be at least 0 and less than chunk_size")
    chunks: list[Chunk] = []
    current: list[tuple[int, str]] = []  # (offset, atom)
    length = 0
    offset = 0

    def emit() -> None:
        joined = "".join(a for _, a in current)
        stripped = joined.strip()
        if stripped:
            lead = len(joined) - len(joined.lstrip())
            chunks.append(Chunk(stripped, base + current[0][0] + lead))

    for atom in _atoms(text, size, SEPARATORS):
        if current and length + len(atom) > size:
            emit()
            while current and (length > overlap or length + len(atom) > size):
                length -= len(current.pop(0)[1])
        current.append((offset, atom))
        length += len(atom)
        offset += len(atom)
    if current:
        emit()
    # An overlap-only tail (the last chunk already ends with it) is not a chunk of its own.
    return chunks


@dataclass(frozen=True)
class Section:
    text: str
    start: int
    headings: list[str]


def markdown_sections(text: str) -> list[Section]:
    """``text`` cut before each ATX heading (outside fenced code), each section with the
    path of headings it is under (its own first)."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    start = 0
    offset = 0
    fenced = False
    current_path: list[str] = []
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line.rstrip("\r\n"))
        if match:
            if text[start:offset].strip():
                sections.append(Section(text[start:offset], start, current_path))
            level = len(match.group(1))
            path = [(lv, t) for lv, t in path if lv < level] + [(level, match.group(2).strip())]
            current_path = [t for _, t in path]
            start = offset
        offset += len(line)
    if text[start:].strip():
        sections.append(Section(text[start:], start, current_path))
    return sections


def split_text(
    text: str,
    *,
    chunk_size: int,
    overlap: int,
    unit: SizeUnit = SizeUnit.CHARACTERS,
    mode: SplitMode = SplitMode.RECURSIVE,
) -> list[Chunk]:
    factor = CHARS_PER_TOKEN if unit == SizeUnit.TOKENS else 1
    size, carry = chunk_size * factor, overlap * factor
    if mode == SplitMode.RECURSIVE:
        return split_recursive(text, size, carry)
    out: list[Chunk] = []
    for section in markdown_sections(text):
        for chunk in split_recursive(section.text, size, carry, section.start):
            out.append(Chunk(chunk.text, chunk.start, section.headings))
    return out

"""The storage interface: a step output too large for its row, written as a sequence of
chunks and read back as a stream of chunks.

A *blob* is named by a key, ``<execution id>/<node id>.<run index>.<attempt>.jsonl``
(:func:`blob_key`), so every blob of an execution shares the prefix ``<execution id>/`` and
goes with it (:meth:`Storage.delete_executions`). A *chunk* is one JSON document
``{port: [items]}`` as text, without a newline; an output is its chunks merged port by port,
in the order they were appended (:func:`read_output`).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any


class StorageError(RuntimeError):
    """A blob could not be written, read or deleted (the message names the backend)."""


class StorageConfigError(ValueError):
    """WIREWORK_STORAGE_URL names no storage this process may use."""


def blob_key(execution_id: str, node_id: str, run_index: int, attempt: int) -> str:
    """The key of one step's output (node ids hold no ``/``: see NODE_ID_PATTERN)."""
    return f"{execution_id}/{node_id}.{run_index}.{attempt}.jsonl"


def execution_of(key: str) -> str:
    return key.split("/", 1)[0]


@dataclass(slots=True)
class Append:
    """Chunks to append to one blob; ``first`` starts it afresh (whatever was there goes)."""

    key: str
    chunks: list[str] = field(default_factory=list)
    first: bool = False


def coalesce(appends: Sequence[Append]) -> list[Append]:
    """Appends in queue order, one per key: a later ``first`` drops what came before it."""
    by_key: dict[str, Append] = {}
    for a in appends:
        found = by_key.get(a.key)
        if found is None or a.first:
            by_key[a.key] = Append(a.key, list(a.chunks), a.first)
        else:
            found.chunks.extend(a.chunks)
    return list(by_key.values())


class Storage(ABC):
    """Where large step outputs live. Every method is safe to call from the event loop:
    blocking work runs in a thread. Implementations must keep:

    - ``write`` is durable when it returns (the step row that names the blob comes after);
    - ``read`` yields the chunks in append order, holding a bounded number at a time;
    - a blob never written reads as nothing (``read`` yields no chunk);
    - ``delete_executions`` removes every blob under those executions and is idempotent.
    """

    #: The URL scheme (``file``, ``db``, ``s3``).
    scheme: str = ""

    @abstractmethod
    async def write(self, appends: Sequence[Append]) -> None:
        """Append each :class:`Append`'s chunks to its blob (one per key: see
        :func:`coalesce`)."""

    @abstractmethod
    def read(self, key: str) -> AsyncIterator[str]:
        """The blob's chunks, in order; none if it does not exist."""

    @abstractmethod
    async def delete_executions(self, execution_ids: Sequence[str]) -> None:
        """Remove every blob of these executions."""

    @abstractmethod
    def describe(self) -> str:
        """Where blobs go, for logs and errors (never a secret)."""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Check the storage is reachable (called once when the process starts)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        pass


async def read_output(
    storage: Storage, key: str, max_items: int | None = None
) -> dict[str, list[Any]] | None:
    """A stored output: the blob's chunks merged port by port, keeping at most ``max_items``
    per port (one chunk in memory at a time). None when the blob has no chunk."""
    merged: dict[str, list[Any]] | None = None
    async for chunk in storage.read(key):
        if not chunk.strip():
            continue
        merged = {} if merged is None else merged
        value = json.loads(chunk)
        if not isinstance(value, dict):
            continue
        for port, items in value.items():
            kept = merged.setdefault(port, [])
            room = len(items) if max_items is None else max_items - len(kept)
            if room > 0:
                kept.extend(items[:room])
    return merged

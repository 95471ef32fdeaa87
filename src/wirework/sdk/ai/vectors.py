"""Vector stores behind one interface, for the retrieval nodes (``ai.vector_insert``,
``ai.vector_search``) and for agents that search a store as a tool.

A store keeps *records* (an id, a vector, the text it was made from and a metadata object)
in named *collections*. Records are upserted by id (a second write of an id replaces the
first), searched by cosine similarity (``score`` 1 is the same direction, higher is
closer) with an optional metadata filter (equality on top-level metadata keys: every key
must match), and deleted by id or by filter.

A store kind is declared with :func:`register_vector_store`: the embedded one by the
retrieval nodes themselves (no set-up), others by the integration whose credentials they
use (``pgvector`` by ``postgres``, ``qdrant`` by ``qdrant``). :func:`vector_store_for`
opens one for a step. Nothing here talks to a network or a database.
"""

from __future__ import annotations

import enum
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wirework.sdk.node import NodeError

if TYPE_CHECKING:
    from wirework.sdk.node import NodeContext

# Collection names: they become table names and URL path segments.
COLLECTION = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
COLLECTION_HELP = "lower-case letters, digits and _, starting with a letter, up to 48 characters"
# Metadata keys a filter may name.
FILTER_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
MAX_DIMENSIONS = 16_000
MAX_K = 1000

Scalar = str | int | float | bool | None


class StoreKind(enum.StrEnum):
    EMBEDDED = "embedded"
    PGVECTOR = "pgvector"
    QDRANT = "qdrant"


@dataclass(frozen=True)
class VectorRecord:
    id: str
    vector: list[float]
    text: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorHit:
    id: str
    score: float
    text: str
    metadata: dict[str, Any]

    def as_item(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "text": self.text, "metadata": self.metadata}


def render_hits(hits: Sequence[VectorHit], *, max_chars: int = 20_000) -> str:
    """Hits as text for a prompt (RAG context, an agent tool's answer): numbered passages
    with their source, best first, cut at ``max_chars`` in all."""
    parts: list[str] = []
    used = 0
    for n, hit in enumerate(hits, 1):
        source = hit.metadata.get("source") or hit.metadata.get("title") or hit.id
        page = hit.metadata.get("page")
        where = f"{source}, page {page}" if page is not None else str(source)
        block = f"[{n}] ({where}; score {hit.score:.3f})\n{hit.text.strip()}"
        if used + len(block) > max_chars:
            block = block[: max(0, max_chars - used)]
        if not block:
            break
        parts.append(block)
        used += len(block) + 2
    return "\n\n".join(parts) if parts else "(no matching passages)"


def check_collection(name: str, param: str = "params.store.collection") -> str:
    if not isinstance(name, str) or not COLLECTION.match(name):
        raise NodeError(
            f"{param}: {name!r} is not a valid collection name ({COLLECTION_HELP})", retryable=False
        )
    return name


def check_filter(value: Any, param: str = "params.filter") -> dict[str, Scalar]:
    """A metadata filter: an object of key → string, number, boolean or null (equality)."""
    if value is None or value == "":
        return {}
    if not isinstance(value, Mapping):
        raise NodeError(f"{param}: must be an object of metadata key → value", retryable=False)
    out: dict[str, Scalar] = {}
    for key, wanted in value.items():
        if not isinstance(key, str) or not FILTER_KEY.match(key):
            raise NodeError(
                f"{param}: {key!r} is not a metadata key (letters, digits, _ and -)",
                retryable=False,
            )
        if wanted is not None and not isinstance(wanted, str | int | float | bool):
            raise NodeError(
                f"{param}.{key}: only equality on a string, number, boolean or null is supported",
                retryable=False,
            )
        out[key] = wanted
    return out


def check_vector(value: Any, what: str) -> list[float]:
    """A vector from an item or a model: a non-empty list of finite numbers."""
    if not isinstance(value, list | tuple) or not value:
        raise NodeError(f"{what}: is not a non-empty list of numbers", retryable=False)
    if len(value) > MAX_DIMENSIONS:
        raise NodeError(
            f"{what}: {len(value)} dimensions is more than {MAX_DIMENSIONS}", retryable=False
        )
    out: list[float] = []
    for x in value:
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise NodeError(f"{what}: holds {x!r}, not a finite number", retryable=False)
        out.append(float(x))
    return out


def matches(metadata: Mapping[str, Any], wanted: Mapping[str, Scalar]) -> bool:
    """Whether ``metadata`` passes an equality filter (1 and 1.0 are equal, True is not 1;
    null matches a missing key)."""
    for key, value in wanted.items():
        have = metadata.get(key)
        if isinstance(have, bool) != isinstance(value, bool) or have != value:
            return False
    return True


class VectorStore(ABC):
    """One opened store (for one step). Methods raise NodeError with a clear message."""

    #: Shown in messages ("embedded", "pgvector", "qdrant").
    kind: str = "store"

    @abstractmethod
    async def upsert(self, collection: str, records: Sequence[VectorRecord]) -> int:
        """Insert or replace ``records`` (by id); creates the collection on first use with
        the records' dimension. All vectors of a collection have one dimension: another is
        an error naming both. Returns how many were written."""

    @abstractmethod
    async def search(
        self,
        collection: str,
        vector: Sequence[float],
        k: int,
        where: Mapping[str, Scalar] | None = None,
    ) -> list[VectorHit]:
        """The ``k`` records closest to ``vector`` by cosine, best first; a collection that
        does not exist has no hits."""

    @abstractmethod
    async def delete(
        self,
        collection: str,
        ids: Sequence[str] | None = None,
        where: Mapping[str, Scalar] | None = None,
    ) -> int | None:
        """Delete records by id and/or filter (both: those matching both); returns how many
        (None where the store does not say)."""

    @abstractmethod
    async def drop(self, collection: str) -> None:
        """Delete a whole collection (nothing if it does not exist)."""

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Release what the store holds (called when the step ends)."""


StoreFactory = Callable[["NodeContext", "Mapping[str, Any] | None", "int | None"], VectorStore]


@dataclass(frozen=True)
class StoreType:
    kind: StoreKind
    factory: StoreFactory
    # The integration type whose credentials it uses, or None (no integration).
    integration_type: str | None


_STORES: dict[StoreKind, StoreType] = {}


def register_vector_store(
    kind: StoreKind, integration_type: str | None = None
) -> Callable[[StoreFactory], StoreFactory]:
    """Declare a store kind: ``factory(ctx, credentials, integration_id)`` opens it
    (``credentials`` of an integration of ``integration_type``, or None without one)."""

    def decorate(factory: StoreFactory) -> StoreFactory:
        _STORES[kind] = StoreType(kind, factory, integration_type)
        return factory

    return decorate


def store_kinds() -> list[str]:
    return sorted(_STORES)


async def vector_store_for(
    ctx: NodeContext, kind: StoreKind | str, integration_id: int | None
) -> VectorStore:
    """Open a store of ``kind`` for this step (with integration ``integration_id``'s
    credentials when the kind uses an integration)."""
    name = str(kind)
    found = _STORES.get(StoreKind(name)) if name in StoreKind._value2member_map_ else None
    if found is None:
        raise NodeError(
            f"params.store.kind: {name!r} is not an installed vector store; use one of: "
            f"{', '.join(store_kinds()) or 'none'}",
            retryable=False,
        )
    if found.integration_type is None:
        return found.factory(ctx, None, None)
    if integration_id is None:
        raise NodeError(
            f"params.store.integration_id: the {found.kind} store needs a "
            f"{found.integration_type} integration",
            retryable=False,
        )
    credentials = await ctx.credentials(integration_id)
    kind_of = getattr(credentials, "integration_type", None)
    if kind_of is not None and kind_of != found.integration_type:
        raise NodeError(
            f"params.store.integration_id: integration {integration_id} is of type {kind_of}; "
            f"the {found.kind} store needs a {found.integration_type} integration",
            retryable=False,
        )
    return found.factory(ctx, credentials, integration_id)


#: A retriever's parameters (JSON Schema) when it is offered to a model as a tool.
RETRIEVER_TOOL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "description": "What to look for"},
        "k": {"type": "integer", "minimum": 1, "maximum": 50, "description": "How many"},
        "filter": {
            "type": "object",
            "description": "Metadata key → value that the passages must have",
        },
    },
    "required": ["query"],
}

# An embedding function: texts → vectors (a model provider's, with usage recorded).
Embed = Callable[[list[str]], Awaitable[list[list[float]]]]


@dataclass
class Retriever:
    """Search one collection by text: what ``ai.vector_search`` does per item, and what an
    agent is given as a tool (``await retriever.retrieve(query, k, where)`` then
    :func:`render_hits`)."""

    store: VectorStore
    collection: str
    embed: Embed
    default_k: int = 4

    async def retrieve(
        self, query: str, k: int | None = None, where: Mapping[str, Any] | None = None
    ) -> list[VectorHit]:
        if not isinstance(query, str) or not query.strip():
            raise NodeError("query: must be non-empty text", retryable=False)
        wanted = check_filter(where, "filter")
        count = max(1, min(int(k or self.default_k), MAX_K))
        [vector] = await self.embed([query])
        return await self.store.search(self.collection, vector, count, wanted)

    async def tool(self, arguments: Mapping[str, Any]) -> str:
        """The tool call of an agent: ``{"query", "k"?, "filter"?}`` → passages as text."""
        hits = await self.retrieve(
            str(arguments.get("query") or ""), arguments.get("k"), arguments.get("filter")
        )
        return render_hits(hits)

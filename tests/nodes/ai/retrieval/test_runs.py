"""The retrieval nodes run by the real engine: documents from binary items and URLs (a
local HTTP server), errors naming the item, chunks, and the vector nodes on the embedded
store with vectors taken from item fields."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integrations.fakes import Answer, FakeServer, Request, serving
from tests.nodes.ai.retrieval.fixtures import CSV, HTML, MARKDOWN, make_pdf
from tests.nodes.ai.retrieval.stores.contract import unit
from wirework.engine.executor import ExecutionRun, Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore
from wirework.testing import allow_loopback


async def run(
    nodes: list[dict[str, Any]],
    items: list[dict[str, Any]] | None = None,
    hooks: Hooks | None = None,
) -> ExecutionRun:
    """``nodes`` in a chain after a manual trigger."""
    ids = ["in", *(n["id"] for n in nodes)]
    doc = {
        "name": "t",
        "nodes": [{"id": "in", "type": "core.manual"}, *nodes],
        "connections": [{"from": a, "to": b} for a, b in itertools.pairwise(ids)],
    }
    runner = Runner(MemoryStore(), hooks=hooks)
    started = await runner.execute(compile_graph(doc), input_items=items)
    await started.wait()
    return started.run


def out(r: ExecutionRun, node: str, port: str = "main") -> list[dict[str, Any]]:
    assert r.record.status == "success", r.record.error
    return r.outputs.get(node, {}).get(port, [])


def binary(data: bytes, filename: str | None, content_type: str | None) -> dict[str, Any]:
    return {
        "file": {
            "data": base64.b64encode(data).decode(),
            "filename": filename,
            "content_type": content_type,
        }
    }


async def test_load_documents_from_binary_items() -> None:
    items = [
        binary(make_pdf(["First page", "Second page"], title="Guide"), "guide.pdf", None),
        binary(HTML, "refunds.html", "text/html"),
        binary(CSV.encode(), "customers.csv", "text/csv"),
    ]
    r = await run(
        [
            {
                "id": "load",
                "type": "ai.load_document",
                "params": {"binary_field": "file", "metadata": {"team": "support"}},
            }
        ],
        items,
    )
    docs = out(r, "load")
    assert [d["metadata"].get("page") for d in docs[:2]] == [1, 2]
    assert docs[0] == {
        "text": "First page",
        "metadata": {
            "source": "guide.pdf",
            "mime": "application/pdf",
            "title": "Guide",
            "page": 1,
            "team": "support",
        },
    }
    assert docs[2]["text"].startswith("# Refunds")
    assert docs[2]["metadata"]["title"] == "Refund policy"
    assert [d["metadata"].get("row") for d in docs[3:]] == [1, 2, 4]
    assert all(d["metadata"]["team"] == "support" for d in docs)


async def test_errors_name_the_item_and_can_go_to_the_error_output() -> None:
    items = [
        binary(MARKDOWN.encode(), "ok.md", None),
        binary(b"%PDF-1.7\nbroken", "broken.pdf", "application/pdf"),
    ]
    node = {"id": "load", "type": "ai.load_document", "params": {"binary_field": "file"}}
    r = await run([node], items)
    assert r.record.status == "error"
    message = r.record.error["message"]
    assert message.startswith("item 1 (broken.pdf): not a readable PDF")

    r = await run([{**node, "on_error": "error_output"}], items)
    assert [d["metadata"]["title"] for d in out(r, "load")] == ["Handbook"]
    [failed] = out(r, "load", "error")
    assert failed["error"]["message"].startswith("item 1 (broken.pdf)")

    r = await run([{**node, "params": {"binary_field": "file", "max_bytes": 10}}], items[:1])
    assert "item 0: the file is" in r.record.error["message"]
    assert "more than params.max_bytes (10)" in r.record.error["message"]

    r = await run([node], [{"other": 1}])
    assert r.record.error["message"] == "item 0: params.binary_field: the item has no field 'file'"


class Site(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.route("GET", "/docs/refunds.html", lambda r: self.page(r, HTML, "text/html"))
        self.route("GET", "/docs/big.txt", lambda r: self.page(r, b"x" * 5000, "text/plain"))

    def page(self, request: Request, body: bytes, ctype: str) -> Answer:
        return Answer(200, body.decode(), {"content-type": ctype})


@pytest.fixture
def site() -> Iterator[Site]:
    with serving(Site()) as fake:
        yield fake


async def test_load_from_urls_through_the_guarded_client(site: Site) -> None:
    node = {"id": "load", "type": "ai.load_document", "params": {"source": "url"}}
    url = f"{site.url}/docs/refunds.html"
    # Loopback is refused by the SSRF guard unless the policy allows it.
    r = await run([{**node, "params": {"source": "url", "url": url}}])
    assert r.record.status == "error"
    assert "item 0: params.url:" in r.record.error["message"]
    with allow_loopback():
        r = await run([{**node, "params": {"source": "url", "url": "{{ json.u }}"}}], [{"u": url}])
        [doc] = out(r, "load")
        # The fake sends JSON-encoded bodies: the page arrives as a JSON string.
        assert "Refunds" in doc["text"]
        assert doc["metadata"]["source"] == url
        r = await run(
            [
                {
                    **node,
                    "params": {
                        "source": "url",
                        "url": f"{site.url}/docs/big.txt",
                        "max_bytes": 1000,
                    },
                }
            ]
        )
        assert "larger than params.max_bytes (1000 bytes)" in r.record.error["message"]
        r = await run([{**node, "params": {"source": "url", "url": f"{site.url}/nope"}}])
        assert r.record.error["message"] == f"item 0: {site.url}/nope: HTTP 404"


async def test_split_documents_into_chunks_with_metadata() -> None:
    r = await run(
        [
            {
                "id": "load",
                "type": "ai.load_document",
                "params": {"source": "text", "text": "{{ json.body }}", "format": "markdown"},
            },
            {
                "id": "split",
                "type": "ai.split_text",
                "params": {"mode": "markdown", "chunk_size": 60, "chunk_overlap": 0},
            },
        ],
        [{"body": MARKDOWN}],
    )
    chunks = out(r, "split")
    assert [c["metadata"]["headings"] for c in chunks][:2] == [
        ["Handbook"],
        ["Handbook", "Holidays"],
    ]
    assert [c["metadata"]["chunk"] for c in chunks] == list(range(len(chunks)))
    assert all(c["metadata"]["chunks"] == len(chunks) for c in chunks)
    assert all(c["metadata"]["source"] == "text" for c in chunks)
    assert all(len(c["text"]) <= 60 for c in chunks)


async def test_split_refuses_overlap_not_less_than_size() -> None:
    r = await run(
        [{"id": "s", "type": "ai.split_text", "params": {"chunk_size": 10, "chunk_overlap": 10}}],
        [{"text": "abc"}],
    )
    assert r.record.status == "error"
    assert "chunk_overlap" in str(r.record.error)


async def test_vector_nodes_on_the_embedded_store(tmp_path: Path) -> None:
    hooks = Hooks(storage_dir=tmp_path / "nodes")
    store = {"collection": "kb"}
    rows = [
        {"key": "a", "text": "alpha", "metadata": {"lang": "en"}, "v": unit(0)},
        {"key": "b", "text": "beta", "metadata": {"lang": "de"}, "v": unit(30)},
        {"key": "c", "text": "gamma", "metadata": {"lang": "en"}, "v": unit(80)},
    ]
    insert = {
        "id": "ins",
        "type": "ai.vector_insert",
        "params": {"store": store, "vector_field": "v", "id_field": "key"},
    }
    r = await run([insert], rows, hooks)
    assert [i["vector_id"] for i in out(r, "ins")] == ["a", "b", "c"]
    assert (tmp_path / "nodes" / "vectors.sqlite3").exists()

    search = {
        "id": "q",
        "type": "ai.vector_search",
        "params": {"store": store, "query_vector_field": "qv", "k": 2},
    }
    r = await run([search], [{"question": "?", "qv": unit(5)}], hooks)
    [answer] = out(r, "q")
    assert answer["question"] == "?"
    assert [h["id"] for h in answer["hits"]] == ["a", "b"]
    assert answer["context"].startswith("[1] (a; score 0.996)\nalpha\n\n[2] (b; score")

    filtered = {
        **search,
        "params": {
            **search["params"],
            "filter": {"lang": "en"},
            "output": "hits",
            "min_score": 0.5,
        },
    }
    r = await run([filtered], [{"qv": unit(5)}], hooks)
    assert [(h["id"], h["text"]) for h in out(r, "q")] == [("a", "alpha")]

    # Upsert by id: a second insert of "a" replaces it.
    r = await run([insert], [{**rows[0], "text": "alpha 2", "v": unit(90)}], hooks)
    r = await run(
        [{**search, "params": {**search["params"], "k": 1, "output": "hits"}}],
        [{"qv": unit(90)}],
        hooks,
    )
    assert [(h["id"], h["text"]) for h in out(r, "q")] == [("a", "alpha 2")]

    delete = {
        "id": "d",
        "type": "ai.vector_delete",
        "params": {"store": store, "filter": {"lang": "en"}},
    }
    r = await run([delete], [{}], hooks)
    assert out(r, "d") == [{"deleted": 2}]
    r = await run(
        [{**search, "params": {**search["params"], "k": 5, "output": "hits"}}],
        [{"qv": unit(0)}],
        hooks,
    )
    assert [h["id"] for h in out(r, "q")] == ["b"]


async def test_vector_node_errors_are_clear(tmp_path: Path) -> None:
    hooks = Hooks(storage_dir=tmp_path)
    insert = {"id": "ins", "type": "ai.vector_insert", "params": {"vector_field": "v"}}
    r = await run([insert], [{"text": "x", "v": [1, "a"]}], hooks)
    assert (
        r.record.error["message"] == "item 0: params.vector_field: holds 'a', not a finite number"
    )
    r = await run([{**insert, "params": {"model": "m"}}], [{"text": "x"}], hooks)
    assert "integration_id" in str(r.record.error)
    bad = {**insert, "params": {"vector_field": "v", "store": {"collection": "Bad Name"}}}
    r = await run([bad], [{"text": "x", "v": [1.0]}], hooks)
    assert "not a valid collection name" in r.record.error["message"]
    # Without a storage directory (a host that has none) the embedded store says so.
    r = await run([insert], [{"text": "x", "v": [1.0]}])
    assert r.record.error["message"] == "this host has no storage directory for nodes"
    search = {
        "id": "q",
        "type": "ai.vector_search",
        "params": {"query_vector_field": "qv", "filter": {"a": [1]}},
    }
    r = await run([search], [{"qv": [1.0]}], hooks)
    assert "params.filter.a: only equality" in r.record.error["message"]

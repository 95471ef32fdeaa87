"""Retrieval for AI workflows (RAG) without a model of its own: document loaders
(``ai.load_document``), text splitters (``ai.split_text``), and vector stores
(``ai.vector_insert``, ``ai.vector_search``, ``ai.vector_delete``) that embed through any
model provider integration. Importing this package registers the nodes and the embedded
vector store. See README.md in this folder and docs/ai-retrieval.md."""

from wirework.nodes.ai.retrieval import documents, stores, tool, vectors

__all__ = ["documents", "stores", "tool", "vectors"]

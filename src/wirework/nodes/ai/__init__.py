"""The AI nodes (``ai.chat``, ``ai.structured_output``, ``ai.classify``, ``ai.extract``,
``ai.summarize``, ``ai.embed``, ``ai.agent``, ``ai.memory``, the ``ai.chat_trigger``; in
``retrieval/``: ``ai.load_document``, ``ai.split_text``, ``ai.vector_insert``,
``ai.vector_search``, ``ai.vector_delete``): they use any model-provider integration through
:func:`wirework.sdk.ai.provider_for`, never a provider's code. Importing this package registers
them. See README.md in this folder."""

from wirework.nodes.ai import (
    agent,
    chat,
    chat_trigger,
    classify,
    embed,
    memory,
    retrieval,
    structured,
    summarize,
)

__all__ = [
    "agent",
    "chat",
    "chat_trigger",
    "classify",
    "embed",
    "memory",
    "retrieval",
    "structured",
    "summarize",
]

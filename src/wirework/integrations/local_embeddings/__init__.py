"""Local embeddings: an embedding model that runs inside the Wirework process, from weights
shipped in a PyPI package (WordLlama, ``pip install 'wirework[local-embeddings]'``; numpy and
tokenizers, no PyTorch, no download). The model provider ``local_embeddings`` serves the
``ai.embed`` and ``ai.vector_*`` nodes with no server and no key. Importing this package
registers it; without the extra its steps fail with the command that installs it."""

from wirework.integrations.local_embeddings import actions
from wirework.integrations.local_embeddings.credentials import (
    LOCAL_EMBEDDINGS,
    LocalEmbeddingsCredentials,
)
from wirework.integrations.local_embeddings.provider import MODEL, LocalEmbeddingsProvider

__all__ = [
    "LOCAL_EMBEDDINGS",
    "MODEL",
    "LocalEmbeddingsCredentials",
    "LocalEmbeddingsProvider",
    "actions",
]

"""Qdrant (https://qdrant.tech) over its REST API: the ``qdrant`` vector store of the
``ai.vector_*`` nodes, and actions on its collections. Importing this package registers it."""

from wirework.integrations.qdrant import actions, store
from wirework.integrations.qdrant.credentials import QDRANT, QdrantCredentials

__all__ = ["QDRANT", "QdrantCredentials", "actions", "store"]

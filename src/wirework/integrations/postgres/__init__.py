"""PostgreSQL (asyncpg, a native integration): parameterised queries with large results
read through a server-side cursor, multi-row inserts, updates by key; and the ``pgvector``
vector store of the ``ai.vector_*`` nodes. Importing this package registers it."""

from wirework.integrations.postgres import actions, vectors
from wirework.integrations.postgres.credentials import POSTGRES, PostgresCredentials

__all__ = ["POSTGRES", "PostgresCredentials", "actions", "vectors"]

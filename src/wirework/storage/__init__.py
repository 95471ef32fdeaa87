"""Shared storage for step outputs too large for their row (see README.md).

``open_storage(settings, engine)`` picks the backend from ``WIREWORK_STORAGE_URL``:
``file://<dir>`` (embedded default: ``<data dir>/executions``), ``db`` (the main database;
the default in distributed mode) or ``s3://bucket/prefix?endpoint_url=…&region=…``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wirework.storage.base import (
    Append,
    Storage,
    StorageConfigError,
    StorageError,
    blob_key,
    coalesce,
    read_output,
)
from wirework.storage.file import FileStorage

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from wirework.settings import Settings

DISTRIBUTED_FILE = (
    "WIREWORK_STORAGE_URL={url}: a file:// storage keeps large step outputs on one "
    "machine's disk, which the other workers cannot read. In distributed mode "
    "(WIREWORK_BROKER_URL is set) use `db` (the default: the main database) or "
    "s3://bucket/prefix?endpoint_url=…&region=… (any S3-compatible store)."
)


def default_file_root(data_dir: Path | str) -> Path:
    """The embedded default: ``<data dir>/executions``."""
    return Path(data_dir) / "executions"


def open_storage(settings: Settings, engine: AsyncEngine) -> Storage:
    """The storage ``WIREWORK_STORAGE_URL`` names (empty: file in the data dir when
    embedded, ``db`` in distributed mode). Raises :class:`StorageConfigError` for an unknown
    URL, and for ``file://`` in distributed mode."""
    url = settings.storage_url.strip()
    distributed = bool(settings.broker_url)
    if not url:
        url = "db" if distributed else "file://"
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    if scheme == "file":
        if distributed:
            raise StorageConfigError(DISTRIBUTED_FILE.format(url=url))
        path = url[len("file:") :].removeprefix("//")
        return FileStorage(Path(path) if path else default_file_root(settings.data_dir))
    if scheme == "db":
        if url.lower() not in ("db", "db:", "db://"):
            raise StorageConfigError(
                f"WIREWORK_STORAGE_URL={url}: `db` takes no path (it is the main database)"
            )
        from wirework.storage.db import DbStorage

        return DbStorage(engine)
    if scheme == "s3":
        from wirework.storage.s3 import S3Storage

        return S3Storage.from_url(url)
    raise StorageConfigError(
        f"WIREWORK_STORAGE_URL={url.split('?', 1)[0]}: unknown storage {scheme!r} "
        "(use file://<dir>, db or s3://bucket/prefix)"
    )


__all__ = [
    "Append",
    "FileStorage",
    "Storage",
    "StorageConfigError",
    "StorageError",
    "blob_key",
    "coalesce",
    "default_file_root",
    "open_storage",
    "read_output",
]

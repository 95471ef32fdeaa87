"""``file://`` storage: a local directory, one JSON-lines file per blob (the embedded
default, ``<data dir>/executions``). Only for one machine: in distributed mode workers do not
share a disk, so :func:`wirework.storage.open_storage` refuses it there."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from wirework.storage.base import Append, Storage, StorageError

# Lines read per hop to the thread (a chunk is one line; ~50 KB for 1,000 small items).
READ_LINES = 16


class FileStorage(Storage):
    scheme = "file"

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"file://{self.root}"

    def path(self, key: str) -> Path:
        parts = key.split("/")
        if len(parts) != 2 or any(p in ("", ".", "..") for p in parts):
            raise StorageError(f"file storage: invalid blob key {key!r}")
        return self.root / parts[0] / parts[1]

    async def write(self, appends: Sequence[Append]) -> None:
        if appends:
            targets = [(self.path(a.key), a) for a in appends]
            try:
                await asyncio.to_thread(_append_lines, targets)
            except OSError as exc:
                raise StorageError(f"file storage {self.root}: {exc}") from exc

    async def read(self, key: str) -> AsyncIterator[str]:
        path = self.path(key)
        try:
            fh = await asyncio.to_thread(open, path, encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StorageError(f"file storage {self.root}: {exc}") from exc
        try:
            while True:
                lines = await asyncio.to_thread(_read_lines, fh)
                if not lines:
                    return
                for line in lines:
                    yield line.rstrip("\n")
        finally:
            fh.close()

    async def delete_executions(self, execution_ids: Sequence[str]) -> None:
        folders = [self.root / e for e in execution_ids if e and "/" not in e and e not in ".."]
        if folders:
            await asyncio.to_thread(_remove, folders)


def _read_lines(fh: object) -> list[str]:
    out = []
    for _ in range(READ_LINES):
        line = fh.readline()  # type: ignore[attr-defined]
        if not line:
            break
        out.append(line)
    return out


def _remove(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def _append_lines(targets: list[tuple[Path, Append]]) -> None:
    """Each blob's chunks, one line each, opening each file once."""
    made: set[Path] = set()
    for path, append in targets:
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        with open(path, "w" if append.first else "a", encoding="utf-8") as fh:
            for chunk in append.chunks:
                fh.write(chunk)
                fh.write("\n")

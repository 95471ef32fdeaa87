"""``s3://bucket/prefix`` storage: any S3-compatible store (AWS S3, MinIO, Ceph, R2, …).

S3 objects cannot be appended to, so a blob is a folder of *parts*: every write of a blob
puts one object ``<prefix>/<key>/<seq>`` (its chunks, one per line), ``seq`` zero-padded so
that listing order is append order. Starting a blob afresh deletes the parts already there.
boto3 is blocking: every call runs in a thread. Credentials come from boto3's standard chain
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws``, instance and
pod roles), or from the URL's ``profile`` query parameter.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wirework.storage.base import Append, Storage, StorageConfigError, StorageError

# Characters of chunks put in one object, at most (unless one chunk is bigger).
PART_CHARS = 4 * 1024 * 1024
# Blobs whose next part number this process remembers (others are listed once).
MAX_REMEMBERED = 10_000
QUERY_KEYS = frozenset({"endpoint_url", "region", "profile", "addressing_style"})


class S3Storage(Storage):
    scheme = "s3"

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        addressing_style: str | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url
        session = boto3.session.Session(profile_name=profile, region_name=region)
        config = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            s3={"addressing_style": addressing_style or "auto"},  # type: ignore[arg-type]
            max_pool_connections=16,
            connect_timeout=5,
            read_timeout=60,
        )
        self.client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)
        self._next: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> S3Storage:
        parts = urlsplit(url)
        if not parts.hostname:
            raise StorageConfigError(
                "WIREWORK_STORAGE_URL: an s3:// URL names a bucket: s3://bucket/prefix"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = sorted(set(query) - QUERY_KEYS)
        if unknown:
            raise StorageConfigError(
                f"WIREWORK_STORAGE_URL: unknown s3 parameter(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(QUERY_KEYS))})"
            )
        return cls(
            parts.hostname,
            parts.path,
            endpoint_url=query.get("endpoint_url"),
            region=query.get("region"),
            profile=query.get("profile"),
            addressing_style=query.get("addressing_style"),
        )

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def start(self) -> None:
        await self._call(lambda: self.client.head_bucket(Bucket=self.bucket))

    async def close(self) -> None:
        await asyncio.to_thread(self.client.close)

    async def _call(self, fn: Any) -> Any:
        try:
            return await asyncio.to_thread(fn)
        except Exception as exc:
            raise StorageError(f"{self.describe()}: {_reason(exc)}") from exc

    # -- writes -----------------------------------------------------------------------------

    async def write(self, appends: Sequence[Append]) -> None:
        def run() -> None:
            for append in appends:
                self._write_one(append)

        if appends:
            await self._call(run)

    def _write_one(self, append: Append) -> None:
        folder = self._name(append.key) + "/"
        with self._lock:
            seq = None if append.first else self._next.get(append.key)
        if seq is None:
            existing = self._list(folder)
            if append.first:
                self._delete(existing)
                seq = 0
            else:
                seq = int(existing[-1].rsplit("/", 1)[1]) + 1 if existing else 0
        for part in _parts(append.chunks):
            body = "\n".join(part).encode()
            self.client.put_object(Bucket=self.bucket, Key=f"{folder}{seq:010d}", Body=body)
            seq += 1
        with self._lock:
            self._next[append.key] = seq
            self._next.move_to_end(append.key)
            while len(self._next) > MAX_REMEMBERED:
                self._next.popitem(last=False)

    def _list(self, prefix: str) -> list[str]:
        names: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            names += [o["Key"] for o in page.get("Contents", ())]
        return sorted(names)

    def _delete(self, names: list[str]) -> None:
        for start in range(0, len(names), 1000):
            objects = [{"Key": n} for n in names[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})

    # -- reads and deletes ------------------------------------------------------------------

    async def read(self, key: str) -> AsyncIterator[str]:
        folder = self._name(key) + "/"
        names = await self._call(lambda: self._list(folder))
        for name in names:
            body = await self._call(lambda name=name: self._get(name))
            if body is None:
                continue
            for line in body.split("\n"):
                yield line

    def _get(self, name: str) -> str | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name)
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = response["Body"].read()
        return data.decode()

    async def delete_executions(self, execution_ids: Sequence[str]) -> None:
        def run() -> None:
            for execution_id in execution_ids:
                if execution_id and "/" not in execution_id:
                    self._delete(self._list(self._name(execution_id) + "/"))
            with self._lock:
                gone = {e + "/" for e in execution_ids}
                for key in [k for k in self._next if k.split("/", 1)[0] + "/" in gone]:
                    del self._next[key]

        await self._call(run)


def _parts(chunks: list[str]) -> Iterator[list[str]]:
    """Chunks grouped into objects of about ``PART_CHARS`` at most (a chunk is never split:
    a bigger one is an object of its own), so that no write builds a huge body."""
    part: list[str] = []
    size = 0
    for chunk in chunks:
        if part and size + len(chunk) > PART_CHARS:
            yield part
            part, size = [], 0
        part.append(chunk)
        size += len(chunk) + 1
    if part:
        yield part


def _reason(exc: BaseException) -> str:
    """The store's own error code and message (botocore's text names no credential)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        error = response["Error"]
        return f"{error.get('Code', type(exc).__name__)}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {str(exc)[:300]}"

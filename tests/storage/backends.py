"""Fixtures for the storage backends: ``storage`` runs a test once per backend — ``file`` (a
temporary directory), ``db`` (the ``output_chunks`` table of the test database, on every
backend the ``runtime`` fixture runs on) and ``s3`` (a bucket on moto's S3 server, started on
a free port of 127.0.0.1). ``WIREWORK_TEST_STORAGES`` (comma-separated, default all three)
picks them. A backend that cannot start is skipped with the reason, or fails under CI=true.
Import the fixtures where they are used (``from tests.storage.backends import
…``). The ``db`` storage is the test database's, so ``storage`` needs ``runtime``."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.conftest import BACKENDS, IN_CI
from wirework.services.runtime import Runtime
from wirework.storage import FileStorage, Storage
from wirework.storage.db import DbStorage

STORAGES = [
    s.strip()
    for s in os.environ.get("WIREWORK_TEST_STORAGES", "file,db,s3").split(",")
    if s.strip()
]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: every storage backend must be available)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server (its real HTTP protocol), in a thread, for the whole session."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto[server] is a dev dependency
        _unavailable(f"moto's server mode is not installed: {exc}")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    try:
        server.start()
    except Exception as exc:
        _unavailable(f"moto's S3 server could not start on 127.0.0.1: {exc}")
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def make_s3(endpoint: str) -> Storage:
    """A fresh bucket on the moto server, as WIREWORK_STORAGE_URL would name it."""
    from wirework.storage.s3 import S3Storage

    bucket = f"ww-test-{secrets.token_hex(4)}"
    storage = S3Storage.from_url(f"s3://{bucket}/blobs?endpoint_url={endpoint}&region=us-east-1")
    storage.client.create_bucket(Bucket=bucket)
    return storage


@pytest.fixture(params=STORAGES)
async def storage(
    request: pytest.FixtureRequest, tmp_path: Any, runtime: Runtime
) -> AsyncIterator[Storage]:
    """One storage backend (see the module's docstring)."""
    kind: str = request.param
    made: Storage
    if kind == "file":
        made = FileStorage(tmp_path / "executions")
    elif kind == "db":
        made = DbStorage(runtime.engine)
    elif kind == "s3":
        made = make_s3(request.getfixturevalue("moto_endpoint"))
    else:
        raise ValueError(f"unknown storage {kind!r} in WIREWORK_TEST_STORAGES")
    await made.start()
    yield made
    await made.close()


def once_per_database(items: list[pytest.Item]) -> list[pytest.Item]:
    """Tests where only the ``db`` storage depends on the database: file and s3 run on the
    first database backend only (use in ``pytest_collection_modifyitems``)."""
    kept = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("storage", "db") != "db" and params.get("database_url") != BACKENDS[0]:
            continue
        kept.append(item)
    return kept

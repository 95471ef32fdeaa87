"""`wirework server` refuses a storage it cannot use, in one clear line (no traceback)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.cli.test_cli import base_env, clean_failure, ww


async def test_server_refuses_a_storage_it_cannot_use(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    cases = [
        (
            {
                "WIREWORK_BROKER_URL": "redis://127.0.0.1:6379/0",
                "WIREWORK_STORAGE_URL": f"file://{tmp_path}/blobs",
            },
            "a file:// storage keeps large step outputs on one machine's disk",
        ),
        ({"WIREWORK_STORAGE_URL": "ftp://host/x"}, "unknown storage 'ftp'"),
        (
            {
                "WIREWORK_STORAGE_URL": "s3://no-bucket/p?endpoint_url=http://127.0.0.1:1",
                "AWS_ACCESS_KEY_ID": "k",
                "AWS_SECRET_ACCESS_KEY": "never-shown-secret",
            },
            "s3://no-bucket/p at http://127.0.0.1:1",
        ),
    ]
    results = await asyncio.gather(
        *(ww("server", env=base_env(data_dir, **extra)) for extra, _ in cases)
    )
    for (extra, needle), result in zip(cases, results, strict=True):
        clean_failure(result)
        assert needle in result.flat_err, (extra, result.err)
        assert "never-shown-secret" not in result.both

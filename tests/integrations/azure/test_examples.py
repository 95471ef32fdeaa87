"""The nightly blob report example run end to end by the engine against Azurite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from azure.storage.blob import BlobServiceClient

from tests.integrations.azure.conftest import ACCOUNT, ACCOUNT_KEY, blob_creds
from wirework.engine.executor import Hooks
from wirework.engine.graph import compile_graph
from wirework.engine.runner import Runner
from wirework.engine.store import MemoryStore

EXAMPLE = Path(__file__).parents[3] / "examples" / "nightly_blob_report.yaml"


async def test_nightly_blob_report(azurite: str) -> None:
    service = BlobServiceClient(
        azurite, credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY}
    )
    exports = service.get_container_client("exports")
    if not exports.exists():
        exports.create_container()
    for i, size in enumerate((10, 20, 30)):
        exports.upload_blob(f"daily/{i}.csv", b"x" * size, overwrite=True)
    exports.upload_blob("other/skip.csv", b"x" * 99, overwrite=True)
    doc = yaml.safe_load(EXAMPLE.read_text())
    values = blob_creds(azurite)
    for node in doc["nodes"]:
        if node["type"].startswith("azure."):
            node["integration_id"] = values.integration_id

    async def lookup(integration_id: int) -> dict[str, Any]:
        return values

    runner = Runner(MemoryStore(), hooks=Hooks(credentials=lookup))
    started = await runner.execute(compile_graph(doc), input_items=[{}])
    await started.wait()
    assert started.run.record.status == "success", started.run.record.error
    [uploaded] = started.run.outputs["report"]["main"]
    assert uploaded["name"].startswith("exports/") and uploaded["name"].endswith(".json")
    report = json.loads(
        service.get_blob_client("reports", uploaded["name"]).download_blob().readall()
    )
    assert report["blobs"] == 3 and report["bytes"] == 60
    assert report["names"] == ["daily/0.csv", "daily/1.csv", "daily/2.csv"]

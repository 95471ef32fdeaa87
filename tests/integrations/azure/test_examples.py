"""The nightly blob report example run end to end by the engine against Azurite."""

from __future__ import annotations

import json

from azure.storage.blob import BlobServiceClient

from tests.integrations.azure.conftest import ACCOUNT, ACCOUNT_KEY, blob_creds
from tests.integrations.workflows import example, run_in_engine


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
    values = blob_creds(azurite)
    doc = example("nightly_blob_report.yaml", {"azure": values.integration_id})
    run = await run_in_engine(doc, values, [{}])
    assert run.record.status == "success", run.record.error
    [uploaded] = run.outputs["report"]["main"]
    assert uploaded["name"].startswith("exports/") and uploaded["name"].endswith(".json")
    report = json.loads(
        service.get_blob_client("reports", uploaded["name"]).download_blob().readall()
    )
    assert report["blobs"] == 3 and report["bytes"] == 60
    assert report["names"] == ["daily/0.csv", "daily/1.csv", "daily/2.csv"]

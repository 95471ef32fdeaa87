"""The Azure integration through the engine: resource groups against the local Resource
Manager (fake_server.py: token endpoint, 201/200, 404 errors, nextLink pages, 202 + polling,
429 Retry-After), Blob Storage against Azurite (real azure-storage-blob requests). Errors
name Azure and its own code and message; no secret in what a step records."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from azure.storage.blob import BlobServiceClient

from tests.integrations.azure.conftest import (
    ACCOUNT,
    ACCOUNT_KEY,
    arm_creds,
    blob_creds,
    connection_string,
)
from tests.integrations.azure.fake_server import CLIENT_SECRET, SUBSCRIPTION, FakeAzure
from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer
from wirework.integrations.azure import AZURE

GROUPS = f"/subscriptions/{SUBSCRIPTION}/resourcegroups"


async def arm(node: str, params: dict[str, Any], server: FakeAzure, **over: Any) -> Any:
    return await run_node(f"azure.{node}", params, arm_creds(server, **over))


# --------------------------------------------------------------------------- Resource Manager


async def test_create_update_get_resource_group(azure_server: FakeAzure) -> None:
    [made] = output(
        await arm(
            "resource_group_create_or_update",
            {"name": "rg-reports", "location": "westeurope", "tags": {"team": "data"}},
            azure_server,
        )
    )
    assert made["created"] is True and made["provisioning_state"] == "Succeeded"
    assert made["id"] == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-reports"
    [sent] = azure_server.seen("PUT", f"{GROUPS}/rg-reports")
    assert sent.query["api-version"] == "2021-04-01"
    assert sent.json() == {"location": "westeurope", "tags": {"team": "data"}}
    assert sent.headers["authorization"].startswith("Bearer arm-token-")
    [token] = azure_server.seen("POST", r"/[^/]+/oauth2/v2\.0/token")
    assert f"scope={azure_server.url.replace(':', '%3A').replace('/', '%2F')}%2F.default" in (
        token.body.decode()
    )
    [updated] = output(
        await arm(
            "resource_group_create_or_update",
            {"name": "rg-reports", "location": "westeurope", "tags": {"team": "ops"}},
            azure_server,
        )
    )
    assert updated["created"] is False and updated["tags"] == {"team": "ops"}
    [got] = output(await arm("resource_group_get", {"name": "rg-reports"}, azure_server))
    assert got["tags"] == {"team": "ops"} and got["location"] == "westeurope"
    # The token is fetched once and reused.
    assert len(azure_server.seen("POST", r"/[^/]+/oauth2/v2\.0/token")) == 1


async def test_azure_errors_are_named(azure_server: FakeAzure) -> None:
    run = await arm("resource_group_get", {"name": "rg-none"}, azure_server)
    message = failure(run)
    assert "Azure answered HTTP 404" in message
    assert "ResourceGroupNotFound: Resource group 'rg-none' could not be found." in message
    output(
        await arm(
            "resource_group_create_or_update",
            {"name": "rg-a", "location": "westeurope"},
            azure_server,
        )
    )
    moved = failure(
        await arm(
            "resource_group_create_or_update", {"name": "rg-a", "location": "eastus"}, azure_server
        )
    )
    assert "HTTP 409" in moved and "InvalidResourceGroupLocation" in moved


async def test_a_wrong_client_secret_is_named_without_the_secret(
    azure_server: FakeAzure,
) -> None:
    run = await arm(
        "resource_group_list", {}, azure_server, client_secret="not-the-secret-value-1234"
    )
    message = failure(run)
    assert message.startswith(
        "Azure: token request failed: HTTP 401: invalid_client: AADSTS7000215"
    )
    assert "not-the-secret-value-1234" not in json.dumps(run.record.error)
    assert CLIENT_SECRET not in json.dumps(run.record.error)


async def test_list_follows_next_link_up_to_the_max(azure_server: FakeAzure) -> None:
    for i in range(5):
        output(
            await arm(
                "resource_group_create_or_update",
                {"name": f"rg-{i}", "location": "westeurope"},
                azure_server,
            )
        )
    items = output(await arm("resource_group_list", {}, azure_server))
    assert [i["name"] for i in items] == [f"rg-{i}" for i in range(5)]
    pages = azure_server.seen("GET", GROUPS)
    assert len(pages) == 3 and pages[1].query["$skiptoken"] == "2"
    capped = output(await arm("resource_group_list", {"max_items": 3}, azure_server))
    assert len(capped) == 3


async def test_429_is_retried_after_retry_after(azure_server: FakeAzure) -> None:
    output(
        await arm(
            "resource_group_create_or_update", {"name": "rg-x", "location": "eu"}, azure_server
        )
    )
    azure_server.inject(
        Answer(
            429,
            {"error": {"code": "TooManyRequests", "message": "Rate limit reached"}},
            {"Retry-After": "0"},
        )
    )
    [got] = output(await arm("resource_group_get", {"name": "rg-x"}, azure_server))
    assert got["name"] == "rg-x"
    assert len(azure_server.seen("GET", f"{GROUPS}/rg-x")) == 2


@pytest.mark.parametrize("async_operation", [False, True])
async def test_delete_polls_the_long_running_operation(
    azure_server: FakeAzure, async_operation: bool
) -> None:
    azure_server.async_operation = async_operation
    azure_server.polls = 2
    output(
        await arm(
            "resource_group_create_or_update", {"name": "rg-old", "location": "eu"}, azure_server
        )
    )
    [done] = output(await arm("resource_group_delete", {"name": "rg-old"}, azure_server))
    assert done == {"name": "rg-old", "deleted": True, "status": "Succeeded"}
    assert "rg-old" not in azure_server.groups
    polled = (
        azure_server.seen("GET", r"/subscriptions/[^/]+/providers/Microsoft\.Resources/.*")
        if async_operation
        else azure_server.seen("GET", r"/subscriptions/[^/]+/operationresults/.*")
    )
    assert len(polled) == 3
    missing = failure(await arm("resource_group_delete", {"name": "rg-old"}, azure_server))
    assert "ResourceGroupNotFound" in missing
    [ok] = output(
        await arm("resource_group_delete", {"name": "rg-old", "missing_ok": True}, azure_server)
    )
    assert ok["deleted"] is False and ok["status"] == "NotFound"


async def test_delete_times_out_as_retryable(azure_server: FakeAzure) -> None:
    azure_server.polls = 10_000
    output(
        await arm(
            "resource_group_create_or_update", {"name": "rg-slow", "location": "eu"}, azure_server
        )
    )
    run = await arm("resource_group_delete", {"name": "rg-slow", "timeout_s": 1}, azure_server)
    assert "did not finish within 1 s" in failure(run)


async def test_connection_test(azure_server: FakeAzure) -> None:
    tester = AZURE.tester
    assert tester is not None
    said = await tester(await AZURE.connect(arm_creds(azure_server), 1))
    assert said == "connected to subscription Acme production"


async def test_the_outbound_policy_refuses_local_endpoints() -> None:
    local = FakeAzure()
    local.url = "http://127.0.0.1:1"
    message = failure(await run_node("azure.resource_group_list", {}, arm_creds(local)))
    assert message.startswith("Azure: ") and "blocked" in message
    refused = credentials(
        {
            "storage_account": ACCOUNT,
            "storage_account_key": ACCOUNT_KEY,
            "blob_endpoint": f"http://127.0.0.1:1/{ACCOUNT}",
        },
        {"storage_account_key"},
    )
    message = failure(await run_node("azure.blob_list", {"container": "x1y"}, refused))
    assert message.startswith("Azure: ") and "blocked" in message


# --------------------------------------------------------------------------- Blob Storage


def container(url: str) -> str:
    name = f"c{uuid.uuid4().hex[:12]}"
    BlobServiceClient(
        url, credential={"account_name": ACCOUNT, "account_key": ACCOUNT_KEY}
    ).create_container(name)
    return name


async def blob(node: str, params: dict[str, Any], url: str, **over: Any) -> Any:
    return await run_node(f"azure.{node}", params, blob_creds(url, **over))


async def test_upload_download_text_and_base64(azurite: str) -> None:
    name = container(azurite)
    [up] = output(
        await blob(
            "blob_upload",
            {
                "container": name,
                "name": "daily/a.csv",
                "content": "a,b\n1,2\n",
                "content_type": "text/csv",
                "metadata": {"source": "nightly"},
            },
            azurite,
        )
    )
    assert up["size"] == 8 and up["etag"] and up["url"] == f"{azurite}/{name}/daily/a.csv"
    [down] = output(
        await blob("blob_download", {"container": name, "name": "daily/a.csv"}, azurite)
    )
    assert down["content"] == "a,b\n1,2\n" and down["content_type"] == "text/csv"
    assert down["metadata"] == {"source": "nightly"}
    raw = bytes(range(200))
    output(
        await blob(
            "blob_upload",
            {
                "container": name,
                "name": "b.bin",
                "content": {"data": base64.b64encode(raw).decode(), "content_type": "image/png"},
                "encoding": "binary",
            },
            azurite,
        )
    )
    [got] = output(
        await blob(
            "blob_download",
            {"container": name, "name": "b.bin", "encoding": "base64"},
            azurite,
        )
    )
    assert base64.b64decode(got["content"]) == raw and got["content_type"] == "image/png"
    too_big = failure(
        await blob("blob_download", {"container": name, "name": "b.bin", "max_bytes": 10}, azurite)
    )
    assert too_big == "Azure: blob.Download failed: the blob is 200 bytes, over max_bytes 10"


async def test_overwrite_flag_and_errors_named(azurite: str) -> None:
    name = container(azurite)
    params = {"container": name, "name": "x.txt", "content": "one"}
    output(await blob("blob_upload", params, azurite))
    exists = failure(await blob("blob_upload", {**params, "overwrite": False}, azurite))
    assert exists.startswith("Azure: blob.Upload failed: BlobAlreadyExists:")
    output(await blob("blob_upload", {**params, "content": "two"}, azurite))
    missing = failure(
        await blob("blob_download", {"container": "nocontainer", "name": "x"}, azurite)
    )
    assert missing.startswith("Azure: blob.Download failed: ContainerNotFound:")
    run = await blob(
        "blob_list",
        {"container": name},
        azurite,
        storage_account_key=base64.b64encode(b"w" * 64).decode(),
    )
    wrong_key = failure(run)
    assert wrong_key.startswith("Azure: blob.List failed: AuthorizationFailure") or (
        "Authentication" in wrong_key or "Authorization" in wrong_key
    ), wrong_key
    assert ACCOUNT_KEY not in json.dumps(run.record.error)


async def test_list_pages_prefix_and_connection_string(azurite: str) -> None:
    name = container(azurite)
    for i in range(5):
        output(
            await blob(
                "blob_upload",
                {"container": name, "name": f"in/{i}.txt", "content": "x" * i},
                azurite,
            )
        )
    output(
        await blob(
            "blob_upload",
            {"container": name, "name": "new/x.txt", "content": "x", "create_container": True},
            azurite,
        )
    )
    items = output(
        await blob("blob_list", {"container": name, "prefix": "in/", "page_size": 2}, azurite)
    )
    assert [i["name"] for i in items] == [f"in/{i}.txt" for i in range(5)]
    assert items[4]["size"] == 4
    capped = output(
        await run_node(
            "azure.blob_list",
            {"container": name, "page_size": 2, "max_items": 3},
            credentials(
                {"storage_connection_string": connection_string(azurite)},
                {"storage_connection_string"},
            ),
        )
    )
    assert len(capped) == 3


async def test_blob_connection_test(azurite: str) -> None:
    tester = AZURE.tester
    assert tester is not None
    said = await tester(await AZURE.connect(blob_creds(azurite), 1))
    assert said == f"connected to storage account {ACCOUNT}"


async def test_missing_credentials_are_named(azurite: str) -> None:
    message = failure(await blob("resource_group_list", {}, azurite))
    assert message == (
        "Azure: Resource Manager needs the credential fields tenant_id, client_id, "
        "client_secret, subscription_id"
    )
    alone = credentials({"tenant_id": "t"}, set())
    message = failure(await run_node("azure.blob_list", {"container": "abc"}, alone))
    assert message.startswith("Azure: Blob Storage needs a storage connection string")


async def test_a_sas_connection_string(azurite: str) -> None:
    import datetime as dt

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    name = container(azurite)
    sas = generate_account_sas(
        ACCOUNT,
        ACCOUNT_KEY,
        resource_types=ResourceTypes(container=True, object=True),
        permission=AccountSasPermissions(read=True, write=True, list=True, create=True),
        expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    values = credentials(
        {"storage_connection_string": f"BlobEndpoint={azurite};SharedAccessSignature={sas}"},
        {"storage_connection_string"},
    )
    output(
        await run_node(
            "azure.blob_upload", {"container": name, "name": "s.txt", "content": "sas"}, values
        )
    )
    [got] = output(
        await run_node("azure.blob_download", {"container": name, "name": "s.txt"}, values)
    )
    assert got["content"] == "sas"

"""Azure actions: resource groups (``resource_group_create_or_update``,
``resource_group_get``, ``resource_group_list``, ``resource_group_delete`` — a long-running
operation polled to its end) over Resource Manager's REST API, and Blob Storage
(``blob_upload``, ``blob_download``, ``blob_list``) with azure-storage-blob."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Annotated, Any

from pydantic import Field

from wirework.integrations.azure.credentials import (
    ARM_API_VERSION,
    AZURE,
    SERVICE,
    AzureCredentials,
    arm_client,
    blob_service,
    in_thread,
    retry_after,
    storage_failure,
    subscription_path,
)
from wirework.sdk.integration import ActionContext, ActionParams, service_failure
from wirework.sdk.integration.files import (
    DownloadEncoding,
    UploadEncoding,
    content_bytes,
    content_text,
)
from wirework.sdk.node import Item, NodeError

GROUP_NAME = r"^[-\w\._\(\)]{1,90}$"
CONTAINER = r"^[a-z0-9]([a-z0-9]|-[a-z0-9]){2,62}$"
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
GroupName = Annotated[str, Field(pattern=GROUP_NAME, description="Resource group name")]
Container = Annotated[str, Field(pattern=CONTAINER, description="Container name")]
BlobName = Annotated[str, Field(min_length=1, max_length=1024, description="Blob name")]


def _group(body: dict[str, Any]) -> Item:
    return {
        "id": body.get("id"),
        "name": body.get("name"),
        "location": body.get("location"),
        "tags": body.get("tags") or {},
        "provisioning_state": (body.get("properties") or {}).get("provisioningState"),
        "managed_by": body.get("managedBy"),
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


# --------------------------------------------------------------------------- resource groups


class CreateResourceGroup(ActionParams):
    """Create or update a resource group (PUT …/resourcegroups/{name})."""

    name: GroupName = Field(description="Resource group name, e.g. rg-reports")
    location: str = Field(min_length=1, max_length=64, description="Azure region, e.g. westeurope")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags (name → value)")


@AZURE.action(
    "resource_group_create_or_update",
    params=CreateResourceGroup,
    display_name="Resource group: create or update",
    description="Create a resource group or update its tags; emits {id, name, location, "
    "tags, provisioning_state, created}",
    example={"name": "rg-reports", "location": "westeurope", "tags": {"team": "data"}},
)
async def resource_group_create_or_update(
    ctx: ActionContext[AzureCredentials], params: CreateResourceGroup
) -> Item:
    client = await arm_client(ctx.credentials, ctx.connection.integration_id, ctx.node)
    path = f"{subscription_path(ctx.credentials)}/resourcegroups/{params.name}"
    response = await client.request(
        "PUT",
        path,
        query={"api-version": ARM_API_VERSION},
        json={"location": params.location, "tags": params.tags},
    )
    return {**_group(response.json()), "created": response.status_code == 201}


class GetResourceGroup(ActionParams):
    """Read a resource group (GET …/resourcegroups/{name})."""

    name: GroupName


@AZURE.action(
    "resource_group_get",
    params=GetResourceGroup,
    display_name="Resource group: get",
    description="Read a resource group; emits {id, name, location, tags, provisioning_state}",
    example={"name": "rg-reports"},
)
async def resource_group_get(
    ctx: ActionContext[AzureCredentials], params: GetResourceGroup
) -> Item:
    client = await arm_client(ctx.credentials, ctx.connection.integration_id, ctx.node)
    path = f"{subscription_path(ctx.credentials)}/resourcegroups/{params.name}"
    return _group(await client.json("GET", path, query={"api-version": ARM_API_VERSION}))


class ListResourceGroups(ActionParams):
    """List the subscription's resource groups (every page up to max_items)."""

    filter: str | None = Field(
        default=None,
        description="OData filter, e.g. tagName eq 'team' and tagValue eq 'data'",
    )
    max_items: int = Field(
        default=1000, ge=1, le=100_000, description="Most groups emitted (pages are followed)"
    )


@AZURE.action(
    "resource_group_list",
    params=ListResourceGroups,
    display_name="Resource group: list",
    description="List resource groups (following nextLink); emits one item per group",
    example={"max_items": 100},
)
async def resource_group_list(
    ctx: ActionContext[AzureCredentials], params: ListResourceGroups
) -> list[Item]:
    client = await arm_client(ctx.credentials, ctx.connection.integration_id, ctx.node)
    url: str | None = f"{subscription_path(ctx.credentials)}/resourcegroups"
    query: dict[str, Any] | None = {"api-version": ARM_API_VERSION, "$filter": params.filter}
    out: list[Item] = []
    pages = 0
    while url and len(out) < params.max_items:
        pages += 1
        if pages > 10_000:
            raise NodeError(f"{SERVICE}: the resource group list does not end", retryable=False)
        body = await client.json("GET", url, query=query)
        out += [_group(g) for g in body.get("value") or []]
        url, query = body.get("nextLink"), None  # nextLink carries its own query
    return out[: params.max_items]


class DeleteResourceGroup(ActionParams):
    """Delete a resource group and everything in it (a long-running operation)."""

    name: GroupName
    wait: bool = Field(
        default=True,
        description="Wait until the deletion has finished (polling Azure's operation)",
    )
    timeout_s: int = Field(
        default=1800, ge=1, le=7200, description="Longest wait for the deletion, in seconds"
    )
    missing_ok: bool = Field(
        default=False, description="Succeed when the group does not exist (else fail)"
    )


@AZURE.action(
    "resource_group_delete",
    params=DeleteResourceGroup,
    display_name="Resource group: delete",
    description="Delete a resource group, waiting for the long-running operation to finish "
    "(Azure-AsyncOperation / Location polling); emits {name, deleted, status}",
    example={"name": "rg-old", "timeout_s": 900},
)
async def resource_group_delete(
    ctx: ActionContext[AzureCredentials], params: DeleteResourceGroup
) -> Item:
    client = await arm_client(ctx.credentials, ctx.connection.integration_id, ctx.node)
    path = f"{subscription_path(ctx.credentials)}/resourcegroups/{params.name}"
    response = await client.request(
        "DELETE",
        path,
        query={"api-version": ARM_API_VERSION},
        ok_statuses=(404,) if params.missing_ok else (),
    )
    if response.status_code == 404:
        return {"name": params.name, "deleted": False, "status": "NotFound"}
    if response.status_code != 202 or not params.wait:
        status = "Succeeded" if response.status_code in (200, 204) else "Accepted"
        return {"name": params.name, "deleted": status == "Succeeded", "status": status}
    operation = response.headers.get("azure-asyncoperation")
    location = response.headers.get("location")
    if not operation and not location:
        return {"name": params.name, "deleted": False, "status": "Accepted"}
    deadline = time.monotonic() + params.timeout_s
    wait = retry_after(response)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise NodeError(
                f"{SERVICE}: deleting resource group {params.name} did not finish within "
                f"{params.timeout_s} s (it goes on in Azure)",
                retryable=True,
            )
        await asyncio.sleep(min(wait, left))
        if operation:
            polled = await client.request("GET", operation)
            body = polled.json() if polled.content else {}
            status = str(body.get("status") or "InProgress")
            if status == "Succeeded":
                break
            if status in ("Failed", "Canceled"):
                error = body.get("error") or {}
                raise service_failure(
                    SERVICE,
                    f"deleting resource group {params.name}",
                    f"{status}: {error.get('code', '')}: {error.get('message', '')}".rstrip(": "),
                    code=error.get("code"),
                )
        else:
            assert location is not None
            polled = await client.request("GET", location)
            if polled.status_code != 202:
                break
        wait = retry_after(polled)
    return {"name": params.name, "deleted": True, "status": "Succeeded"}


# --------------------------------------------------------------------------- Blob Storage


class UploadBlob(ActionParams):
    """Upload a block blob."""

    container: Container = Field(description="Container name, e.g. reports")
    name: BlobName = Field(description="Blob name, e.g. 2024/a.csv")
    content: str | dict[str, Any] = Field(
        description="The blob's content: text, base64, or a binary object "
        '{"data": <base64>, "content_type": …} (see encoding)'
    )
    encoding: UploadEncoding = "text"
    content_type: str | None = Field(
        default=None,
        max_length=255,
        description="Content-Type stored with the blob (default: the binary object's, or "
        "text/plain for text, application/octet-stream otherwise)",
    )
    overwrite: bool = Field(
        default=True, description="Replace an existing blob (else fail if it exists)"
    )
    metadata: dict[str, str] = Field(default_factory=dict, description="Blob metadata")
    create_container: bool = Field(
        default=False, description="Create the container first when it does not exist"
    )


@AZURE.action(
    "blob_upload",
    params=UploadBlob,
    display_name="Blob: upload",
    description="Upload a blob to a container; emits {container, name, etag, last_modified, "
    "size, content_type, url}",
    example={"container": "reports", "name": "daily/report.txt", "content": "Hello"},
)
async def blob_upload(ctx: ActionContext[AzureCredentials], params: UploadBlob) -> Item:
    from azure.core.exceptions import ResourceExistsError
    from azure.storage.blob import ContentSettings

    data, carried = content_bytes(params.content, params.encoding)
    kind = params.content_type or carried or "application/octet-stream"
    service, endpoint = await blob_service(ctx.credentials)

    def upload() -> dict[str, Any]:
        container = service.get_container_client(params.container)
        if params.create_container:
            try:
                container.create_container()
            except ResourceExistsError:
                pass
            except Exception as exc:
                raise storage_failure("blob.CreateContainer", exc) from None
        try:
            done: dict[str, Any] = container.get_blob_client(params.name).upload_blob(
                data,
                overwrite=params.overwrite,
                content_settings=ContentSettings(content_type=kind),
                metadata=params.metadata or None,
            )
        except Exception as exc:
            raise storage_failure("blob.Upload", exc) from None
        return done

    props = await in_thread(upload)
    return {
        "container": params.container,
        "name": params.name,
        "etag": str(props.get("etag", "")).strip('"'),
        "last_modified": _iso(props.get("last_modified")),
        "size": len(data),
        "content_type": kind,
        "url": f"{endpoint}/{params.container}/{params.name}",
    }


class DownloadBlob(ActionParams):
    """Download a blob."""

    container: Container
    name: BlobName
    encoding: DownloadEncoding = "text"
    max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1,
        le=MAX_DOWNLOAD_BYTES,
        description="Largest blob read, in bytes: a larger one fails the step",
    )


@AZURE.action(
    "blob_download",
    params=DownloadBlob,
    display_name="Blob: download",
    description="Download a blob; emits {container, name, content, encoding, content_type, "
    "size, etag, last_modified, metadata}",
    example={"container": "reports", "name": "daily/report.txt"},
)
async def blob_download(ctx: ActionContext[AzureCredentials], params: DownloadBlob) -> Item:
    service, _ = await blob_service(ctx.credentials)

    def download() -> tuple[Any, bytes]:
        blob = service.get_blob_client(params.container, params.name)
        try:
            props = blob.get_blob_properties()
            if props.size > params.max_bytes:
                raise service_failure(
                    SERVICE,
                    "blob.Download",
                    f"the blob is {props.size} bytes, over max_bytes {params.max_bytes}",
                )
            data = blob.download_blob(etag=props.etag, match_condition=_if_match()).readall()
        except NodeError:
            raise
        except Exception as exc:
            raise storage_failure("blob.Download", exc) from None
        return props, data

    props, data = await in_thread(download)
    content = content_text(data, params.encoding, SERVICE, params.name)
    return {
        "container": params.container,
        "name": params.name,
        "content": content,
        "encoding": params.encoding,
        "content_type": props.content_settings.content_type,
        "size": len(data),
        "etag": str(props.etag or "").strip('"'),
        "last_modified": _iso(props.last_modified),
        "metadata": dict(props.metadata or {}),
    }


def _if_match() -> Any:
    from azure.core import MatchConditions

    return MatchConditions.IfNotModified


class ListBlobs(ActionParams):
    """List a container's blobs (every page up to max_items)."""

    container: Container
    prefix: str | None = Field(default=None, description="Only blobs whose name starts with it")
    max_items: int = Field(
        default=1000, ge=1, le=100_000, description="Most blobs emitted (pages are followed)"
    )
    page_size: int = Field(default=1000, ge=1, le=5000, description="Blobs asked per page")


@AZURE.action(
    "blob_list",
    params=ListBlobs,
    display_name="Blob: list",
    description="List a container's blobs (by prefix, every page up to max_items); emits "
    "one item per blob {container, name, size, content_type, etag, last_modified}",
    example={"container": "reports", "prefix": "daily/"},
)
async def blob_list(ctx: ActionContext[AzureCredentials], params: ListBlobs) -> list[Item]:
    service, _ = await blob_service(ctx.credentials)

    def collect() -> list[Item]:
        container = service.get_container_client(params.container)
        out: list[Item] = []
        try:
            pages = container.list_blobs(
                name_starts_with=params.prefix, results_per_page=params.page_size
            ).by_page()
            for page in pages:
                for blob in page:
                    out.append(
                        {
                            "container": params.container,
                            "name": blob.name,
                            "size": blob.size,
                            "content_type": blob.content_settings.content_type,
                            "etag": str(blob.etag or "").strip('"'),
                            "last_modified": _iso(blob.last_modified),
                        }
                    )
                    if len(out) >= params.max_items:
                        return out
        except Exception as exc:
            raise storage_failure("blob.List", exc) from None
        return out

    return await in_thread(collect)

"""Azure's credentials: a service principal (Resource Manager) and a storage account (Blob
Storage), the clients built on them, Azure's error bodies, and the connection test.

Resource Manager is spoken as plain REST through the SDK's SSRF-guarded HTTP client with an
OAuth2 client-credentials token from the authority host (``/{tenant}/oauth2/v2.0/token``,
scope ``<resource manager endpoint>/.default``): azure-identity (MSAL) insists on an https
authority and instance discovery, which neither tests against a local server nor honours our
outbound policy, and ARM's resource-group API is a handful of JSON calls. Tokens are cached
until shortly before they expire and redacted from the step's records.

Blob Storage uses azure-storage-blob (its synchronous client, in a small worker-thread pool:
bounded concurrency) after the blob endpoint's host passed :func:`checked_address`; a plain
HTTP endpoint (Azurite) is reached at the checked address itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import Field, SecretStr, field_validator

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    Native,
    RetryPolicy,
    ServiceClient,
    checked_address,
    no_auth,
    response_json,
    retry_after_s,
    secret,
    service_failure,
)
from wirework.sdk.integration.client import pooled_client
from wirework.sdk.integration.server import plain_http_url
from wirework.sdk.node import NodeContext, NodeError
from wirework.sdk.outbound import AllowedHosts, BlockedAddress, CredentialAuth
from wirework.sdk.outbound.credentials import describe

T = TypeVar("T")
SERVICE = "Azure"
ARM_API_VERSION = "2021-04-01"
MAX_CONCURRENT_CALLS = 8
_pool = ThreadPoolExecutor(max_workers=MAX_CONCURRENT_CALLS, thread_name_prefix="wirework-az")
GUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"


class AzureCredentials(CredentialsModel):
    tenant_id: str | None = Field(
        default=None,
        description="Directory (tenant) ID of the service principal (Resource Manager)",
    )
    client_id: str | None = Field(
        default=None, description="Application (client) ID of the service principal"
    )
    client_secret: SecretStr | None = Field(
        default=None, description="Client secret of the service principal"
    )
    subscription_id: str | None = Field(
        default=None,
        pattern=GUID,
        description="Subscription whose resource groups the actions manage",
    )
    authority_host: str = Field(
        default="https://login.microsoftonline.com",
        description="Microsoft Entra ID authority (another cloud's, e.g. "
        "https://login.microsoftonline.us)",
    )
    resource_manager_endpoint: str = Field(
        default="https://management.azure.com",
        description="Azure Resource Manager endpoint (another cloud's, e.g. "
        "https://management.usgovcloudapi.net)",
    )
    storage_connection_string: SecretStr | None = Field(
        default=None,
        description="Blob Storage: the storage account's connection string (Access keys), "
        "or give the account name and key below",
    )
    storage_account: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]{3,24}$",
        description="Blob Storage: the storage account name",
    )
    storage_account_key: SecretStr | None = Field(
        default=None, description="Blob Storage: an access key of the storage account"
    )
    blob_endpoint: str | None = Field(
        default=None,
        description="Blob service endpoint (default: the connection string's, or "
        "https://<account>.blob.core.windows.net; Azurite: http://127.0.0.1:10000/"
        "devstoreaccount1)",
    )

    @field_validator("authority_host", "resource_manager_endpoint", "blob_endpoint")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return plain_http_url(value, "https://management.azure.com")


def _point_at(values: dict[str, Any], host: str, port: int) -> dict[str, Any]:
    url = f"http://{host}:{port}"
    account = values.get("storage_account") or "devstoreaccount1"
    return {
        **values,
        "authority_host": url,
        "resource_manager_endpoint": url,
        "blob_endpoint": f"{url}/{account}",
    }


def azure_error(response: httpx.Response) -> str | None:
    """ARM's ``{"error": {"code", "message", "details": [...]}}`` (and OAuth2's
    ``{"error", "error_description"}``) → ``Code: message``."""
    body: Any = response_json(response)
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        text = f"{code}: {message}" if code and message else str(message or code or "")
        details = [
            f"{d.get('code')}: {d.get('message')}"
            for d in error.get("details") or []
            if isinstance(d, dict) and d.get("message")
        ]
        return "; ".join([text, *details]) if text else None
    if isinstance(error, str):
        description = body.get("error_description")
        return f"{error}: {description}" if description else error
    message = body.get("message")
    return str(message) if message else None


AZURE = IntegrationDefinition(
    "azure",
    SERVICE,
    credentials=AzureCredentials,
    auth=no_auth(
        "OAuth2 client credentials for Resource Manager; Shared Key or SAS for Blob Storage"
    ),
    description="Microsoft Azure: resource groups (Resource Manager, service principal) and "
    "Blob Storage (upload, download, list)",
    icon="cloud-cog",
    category="Cloud",
    docs="https://learn.microsoft.com/en-us/rest/api/azure/",
    base_url=None,
    native=Native(point_at=_point_at),
    example_credentials={
        "tenant_id": "00000000-0000-0000-0000-000000000001",
        "client_id": "00000000-0000-0000-0000-000000000002",
        "client_secret": "azure-test-secret",
        "subscription_id": "00000000-0000-0000-0000-000000000003",
        "storage_account": "acmereports",
        "storage_account_key": "YWNtZS1yZXBvcnRzLWtleQ==",
    },
)


# --------------------------------------------------------------------------- Resource Manager

_tokens: dict[tuple[str, ...], tuple[str, float]] = {}
TOKEN_MARGIN_S = 120


def forget_tokens() -> None:
    """Drop cached access tokens (tests, credential changes)."""
    _tokens.clear()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def _need(credentials: AzureCredentials, *names: str, what: str) -> None:
    missing = [n for n in names if not getattr(credentials, n)]
    if missing:
        raise NodeError(
            f"{SERVICE}: {what} needs the credential fields {', '.join(missing)}",
            retryable=False,
        )


def _hosts(*urls: str) -> AllowedHosts:
    found = []
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        found.append(f"{host}:{parts.port}" if parts.port else host)
    return AllowedHosts(tuple(found), explicit=True)


async def access_token(
    credentials: AzureCredentials, integration_id: int | None, node: NodeContext | None
) -> str:
    """A Resource Manager token (client credentials), cached until shortly before expiry."""
    _need(credentials, "tenant_id", "client_id", "client_secret", what="Resource Manager")
    scope = f"{credentials.resource_manager_endpoint}/.default"
    client_secret = secret(credentials.client_secret)
    key = (
        credentials.authority_host,
        str(credentials.tenant_id),
        str(credentials.client_id),
        _digest(client_secret),
        scope,
    )
    cached = _tokens.get(key)
    if cached is None or cached[1] - TOKEN_MARGIN_S < time.time():
        url = f"{credentials.authority_host}/{credentials.tenant_id}/oauth2/v2.0/token"
        http = pooled_client("azure", integration_id)
        try:
            response = await http.request(
                "POST",
                url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": str(credentials.client_id),
                    "client_secret": client_secret,
                    "scope": scope,
                },
            )
        except BlockedAddress as exc:
            raise NodeError(f"{SERVICE}: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise service_failure(SERVICE, "token request", str(exc), retryable=True) from None
        body: Any = response_json(response)
        if response.status_code >= 400 or not isinstance(body, dict):
            message = azure_error(response) or f"HTTP {response.status_code}"
            raise service_failure(
                SERVICE,
                "token request",
                f"HTTP {response.status_code}: {message}",
                retryable=response.status_code == 429 or response.status_code >= 500,
            )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise service_failure(SERVICE, "token request", "the answer has no access_token")
        expires_in = float(body.get("expires_in") or 3600)
        cached = (token, time.time() + expires_in)
        _tokens[key] = cached
    if node is not None:
        node.add_secrets({"azure_access_token": cached[0]})
    return cached[0]


async def arm_client(
    credentials: AzureCredentials, integration_id: int | None, node: NodeContext | None
) -> ServiceClient:
    """The Resource Manager client: SSRF-guarded, the bearer token only for its host, ARM's
    errors read, 429/5xx retried honouring Retry-After."""
    _need(
        credentials,
        "tenant_id",
        "client_id",
        "client_secret",
        "subscription_id",
        what="Resource Manager",
    )
    token = await access_token(credentials, integration_id, node)
    endpoint = credentials.resource_manager_endpoint
    auth = CredentialAuth(
        _hosts(endpoint),
        describe({}, integration_id),
        headers={"Authorization": f"Bearer {token}"},
    )
    return ServiceClient(
        SERVICE,
        pooled_client("azure", integration_id),
        auth,
        endpoint,
        error_reader=azure_error,
        retry=RetryPolicy(attempts=4, base_s=0.5, max_wait_s=30.0),
    )


def retry_after(response: httpx.Response, default: float = 15.0) -> float:
    """A long-running operation's polling interval: its Retry-After (capped at 60 s)."""
    found = retry_after_s(response)
    return default if found is None else min(found, 60.0)


def subscription_path(credentials: AzureCredentials) -> str:
    return f"/subscriptions/{credentials.subscription_id}"


# --------------------------------------------------------------------------- Blob Storage


def _connection_string(value: str) -> dict[str, str]:
    out = {}
    for part in value.split(";"):
        name, sep, rest = part.strip().partition("=")
        if sep:
            out[name.strip().lower()] = rest.strip()
    return out


def storage_account(credentials: AzureCredentials) -> tuple[str, str, str | None, str | None]:
    """(blob endpoint, account name, account key, SAS token) from the connection string
    and/or the account fields (the explicit fields win)."""
    parsed = _connection_string(secret(credentials.storage_connection_string))
    account = credentials.storage_account or parsed.get("accountname")
    key = secret(credentials.storage_account_key) or parsed.get("accountkey") or None
    sas = parsed.get("sharedaccesssignature") or None
    endpoint = credentials.blob_endpoint or parsed.get("blobendpoint")
    if not endpoint and account:
        protocol = parsed.get("defaultendpointsprotocol", "https")
        suffix = parsed.get("endpointsuffix", "core.windows.net")
        endpoint = f"{protocol}://{account}.blob.{suffix}"
    if endpoint and not account:  # a SAS connection string names only the endpoint
        account = _account_of(endpoint)
    if not endpoint or not account or not (key or sas):
        raise NodeError(
            f"{SERVICE}: Blob Storage needs a storage connection string, or the storage "
            "account name and key",
            retryable=False,
        )
    return endpoint.rstrip("/"), account, key, sas


def _account_of(endpoint: str) -> str | None:
    """The account an endpoint names: ``https://<account>.blob…``, or the first path segment
    of an emulator's ``http://127.0.0.1:10000/<account>``."""
    parts = urlsplit(endpoint)
    segment = parts.path.strip("/").split("/")[0]
    if segment:
        return segment
    host = parts.hostname or ""
    return host.split(".")[0] if ".blob." in host else None


async def in_thread(fn: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_pool, fn)


def storage_failure(what: str, exc: Exception) -> NodeError:
    """An azure-storage-blob exception as ``Azure: blob.Upload failed: Code: message``."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    if isinstance(exc, HttpResponseError):
        code = getattr(exc, "error_code", None) or getattr(exc, "reason", None) or "Error"
        first = (str(exc.message or exc).strip().splitlines() or [""])[0]
        status = exc.status_code
        retryable = status is not None and (status == 429 or status >= 500)
        text = f"{code}: {first}" if first and first != code else str(code)
        return service_failure(SERVICE, what, text, retryable=retryable, code=str(code))
    if isinstance(exc, ServiceRequestError):
        return service_failure(SERVICE, what, str(exc), retryable=True)
    return service_failure(SERVICE, what, f"{type(exc).__name__}: {exc}")


async def blob_service(credentials: AzureCredentials) -> tuple[Any, str]:
    """A BlobServiceClient on the checked endpoint, and the endpoint as configured."""
    import base64
    import binascii

    from azure.storage.blob import BlobServiceClient

    endpoint, account, key, sas = storage_account(credentials)
    if key is not None:
        try:
            base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raise NodeError(
                f"{SERVICE}: the storage account key is not valid base64 (copy it from the "
                "storage account's Access keys)",
                retryable=False,
            ) from None
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await checked_address(SERVICE, parts.hostname or "", port)
    connect = endpoint
    if parts.scheme == "http":  # no TLS to check the name: connect to the checked address
        literal = f"[{address}]" if ":" in address else address
        connect = urlunsplit(("http", f"{literal}:{port}", parts.path, "", ""))
    credential: Any = {"account_name": account, "account_key": key} if key else sas
    client = BlobServiceClient(
        connect,
        credential=credential,
        retry_total=2,
        retry_backoff_factor=0.2,
        connection_timeout=10,
        read_timeout=60,
    )
    return client, endpoint


@AZURE.connection_test
async def test_connection(connection: Connection[AzureCredentials]) -> str:
    credentials = connection.credentials
    said = []
    if credentials.tenant_id or credentials.client_id or credentials.subscription_id:
        client = await arm_client(credentials, connection.integration_id, None)
        found = await client.json(
            "GET", subscription_path(credentials), query={"api-version": "2022-12-01"}
        )
        said.append(f"subscription {found.get('displayName') or credentials.subscription_id}")
    if (
        credentials.storage_connection_string
        or credentials.storage_account
        or credentials.blob_endpoint
    ):
        service, _ = await blob_service(credentials)

        def probe() -> Any:
            try:
                return service.get_service_properties()
            except Exception as exc:
                raise storage_failure("blob.GetServiceProperties", exc) from None

        await in_thread(probe)
        said.append(f"storage account {storage_account(credentials)[1]}")
    if not said:
        raise NodeError(
            f"{SERVICE}: give a service principal (tenant, client, secret, subscription) "
            "and/or a storage account",
            retryable=False,
        )
    return "connected to " + " and ".join(said)

"""AWS credentials (an access key, optionally a session token and a role to assume), how
boto3 is driven (in worker threads, after the outbound policy allowed the endpoint), its
errors, and the connection test (STS GetCallerIdentity).

boto3 is blocking: every call runs on a small dedicated thread pool (bounded concurrency),
with timeouts and botocore's standard retry mode set by :data:`CONFIG`. Before a call the
endpoint's host (``endpoint_url``'s, or the service's regional AWS host name) is resolved
and checked with :func:`checked_address`; a plain-HTTP ``endpoint_url`` (a local S3-compatible
store, LocalStack, moto) is then reached at the checked address itself, so the check holds.
Roles are assumed with STS AssumeRole and their credentials cached until shortly before they
expire.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from pydantic import Field, SecretStr, field_validator

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    Native,
    checked_address,
    no_auth,
    secret,
    service_failure,
)
from wirework.sdk.integration.server import plain_http_url
from wirework.sdk.node import NodeError

T = TypeVar("T")
SERVICE = "AWS"
# At most this many boto3 calls at once in this process (each holds a thread).
MAX_CONCURRENT_CALLS = 8
_pool = ThreadPoolExecutor(max_workers=MAX_CONCURRENT_CALLS, thread_name_prefix="wirework-aws")
# The endpoint is the integration's (or AWS's): never one from the server's environment or
# AWS config files (AWS_ENDPOINT_URL…), which would bypass the outbound policy's check.
CONFIG = Config(
    connect_timeout=10,
    read_timeout=60,
    retries={"max_attempts": 3, "mode": "standard"},
    user_agent_extra="wirework",
    ignore_configured_endpoint_urls=True,  # type: ignore[call-arg]  # botocore 1.31+
)
# Lambda: a synchronous invocation may run for up to 15 minutes; never sent twice.
LAMBDA_CONFIG = CONFIG.merge(
    Config(read_timeout=900, retries={"max_attempts": 1, "mode": "standard"})
)
THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "SlowDown",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "ServiceUnavailable",
    "InternalError",
    "InternalFailure",
}


class AwsCredentials(CredentialsModel):
    access_key_id: str = Field(
        min_length=3,
        max_length=128,
        description="Access key ID of an IAM user (or temporary credentials), e.g. AKIA…; an "
        "S3-compatible store's access key",
    )
    secret_access_key: SecretStr = Field(description="Secret access key of that access key")
    session_token: SecretStr | None = Field(
        default=None, description="Session token, for temporary credentials only"
    )
    region: str = Field(
        default="us-east-1",
        pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$",
        description="AWS region of the resources, e.g. eu-west-1",
    )
    role_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
        description="Role to assume with STS AssumeRole before each call (optional), e.g. "
        "arn:aws:iam::123456789012:role/wirework",
    )
    external_id: str | None = Field(
        default=None, description="External ID the role's trust policy requires (optional)"
    )
    endpoint_url: str | None = Field(
        default=None,
        description="Endpoint of an S3-compatible store or AWS emulator (MinIO, LocalStack), "
        "e.g. http://minio.internal:9000; empty for AWS itself",
    )

    @field_validator("endpoint_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return plain_http_url(value, "https://s3.example.com")


def _point_at(values: dict[str, Any], host: str, port: int) -> dict[str, Any]:
    return {**values, "endpoint_url": f"http://{host}:{port}"}


AWS = IntegrationDefinition(
    "aws",
    SERVICE,
    credentials=AwsCredentials,
    auth=no_auth("AWS Signature Version 4 with the access key, or an assumed role's"),
    description="Amazon Web Services: S3 objects and presigned URLs, SQS messages, SNS "
    "notifications and Lambda invocations (AWS or any S3-compatible endpoint)",
    icon="cloud",
    category="Cloud",
    docs="https://docs.aws.amazon.com/",
    base_url=None,
    native=Native(point_at=_point_at),
    example_credentials={
        "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "region": "eu-west-1",
    },
)


# --------------------------------------------------------------------------- errors


def client_failure(what: str, exc: Exception) -> NodeError:
    """A boto3 exception as ``AWS: <service>.<Operation> failed: <Code>: <message>`` (never
    the request's credentials: botocore's messages do not hold them)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "Error")
        message = str(error.get("Message") or "").strip()
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        text = f"{code}: {message}" if message else code
        retryable = code in THROTTLED or (isinstance(status, int) and status >= 500)
        return service_failure(SERVICE, what, text, retryable=retryable, code=code, status=status)
    if isinstance(exc, ParamValidationError):
        return service_failure(SERVICE, what, str(exc))
    # Connection refused, timeouts, bad endpoints: retryable (the node's retry policy).
    return service_failure(SERVICE, what, str(exc), retryable=True)


# --------------------------------------------------------------------------- sessions

_lock = threading.Lock()
# (access key, secret hash, role, external id, endpoint) → (credentials, expires at)
_assumed: dict[tuple[str, ...], tuple[dict[str, str], float]] = {}
_clients: dict[tuple[str, ...], Any] = {}
REFRESH_MARGIN_S = 300


def forget_sessions() -> None:
    """Drop cached clients and assumed-role credentials (tests, credential changes)."""
    with _lock:
        _assumed.clear()
        _clients.clear()


def _digest(*parts: str | None) -> str:
    return hashlib.sha256("\0".join(p or "" for p in parts).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Target:
    """Where calls go: the endpoint boto3 connects to (at the checked address for a
    plain-HTTP custom endpoint) and the one URLs are made for (presigned URLs)."""

    connect_url: str | None
    public_url: str | None


def regional_host(service: str, region: str) -> str:
    return f"{service}.{region}.amazonaws.com"


async def target(credentials: AwsCredentials, service: str) -> Target:
    """Check the endpoint against the outbound policy (a NodeError naming AWS if refused)."""
    if credentials.endpoint_url is None:
        await checked_address(SERVICE, regional_host(service, credentials.region), 443)
        if credentials.role_arn:
            await checked_address(SERVICE, regional_host("sts", credentials.region), 443)
        return Target(None, None)
    parts = urlsplit(credentials.endpoint_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await checked_address(SERVICE, host, port)
    if parts.scheme == "https":  # TLS checks the name: keep it
        return Target(credentials.endpoint_url, credentials.endpoint_url)
    literal = f"[{address}]" if ":" in address else address
    connect = urlunsplit(("http", f"{literal}:{port}", parts.path, "", ""))
    return Target(connect, credentials.endpoint_url)


def _session(credentials: AwsCredentials, endpoint: str | None) -> boto3.session.Session:
    """A session with the static credentials, or the assumed role's (cached)."""
    static = boto3.session.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=secret(credentials.secret_access_key),
        aws_session_token=secret(credentials.session_token) or None,
        region_name=credentials.region,
    )
    if not credentials.role_arn:
        return static
    key = (
        credentials.access_key_id,
        _digest(secret(credentials.secret_access_key), secret(credentials.session_token)),
        credentials.role_arn,
        credentials.external_id or "",
        endpoint or "",
        credentials.region,
    )
    with _lock:
        cached = _assumed.get(key)
    if cached is None or cached[1] - REFRESH_MARGIN_S < time.time():
        sts = static.client("sts", endpoint_url=endpoint, config=CONFIG)
        args: dict[str, Any] = {
            "RoleArn": credentials.role_arn,
            "RoleSessionName": "wirework",
            "DurationSeconds": 3600,
        }
        if credentials.external_id:
            args["ExternalId"] = credentials.external_id
        try:
            found = sts.assume_role(**args)["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            raise client_failure("sts.AssumeRole", exc) from None
        temporary = {
            "aws_access_key_id": found["AccessKeyId"],
            "aws_secret_access_key": found["SecretAccessKey"],
            "aws_session_token": found["SessionToken"],
        }
        cached = (temporary, found["Expiration"].timestamp())
        with _lock:
            _assumed[key] = cached
    temporary = cached[0]
    return boto3.session.Session(
        aws_access_key_id=temporary["aws_access_key_id"],
        aws_secret_access_key=temporary["aws_secret_access_key"],
        aws_session_token=temporary["aws_session_token"],
        region_name=credentials.region,
    )


def _client(
    credentials: AwsCredentials, service: str, endpoint: str | None, sts_endpoint: str | None
) -> Any:
    """A boto3 client (thread-safe; cached per credentials, service and endpoint)."""
    session = _session(credentials, sts_endpoint)
    frozen = session.get_credentials()
    assert frozen is not None
    now = frozen.get_frozen_credentials()
    key = (
        service,
        str(now.access_key),
        _digest(now.secret_key, now.token),
        credentials.region,
        endpoint or "",
    )
    with _lock:
        found = _clients.get(key)
    if found is not None:
        return found
    config = LAMBDA_CONFIG if service == "lambda" else CONFIG
    if service == "s3":  # SigV4 presigned URLs; path style on custom endpoints
        if endpoint is not None:
            config = config.merge(Config(s3={"addressing_style": "path"}))
        config = config.merge(Config(signature_version="s3v4"))
    made = session.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
    with _lock:
        if len(_clients) > 256:
            _clients.clear()
        _clients[key] = made
    return made


async def in_thread(fn: Callable[[], T]) -> T:
    """Run a blocking boto3 call on the AWS thread pool."""
    return await asyncio.get_running_loop().run_in_executor(_pool, fn)


async def call(credentials: AwsCredentials, service: str, what: str, fn: Callable[[Any], T]) -> T:
    """``fn(client)`` for ``service`` in a worker thread; boto3's errors as NodeErrors
    naming ``what`` (e.g. ``s3.PutObject``)."""
    where = await target(credentials, service)

    def run() -> T:
        try:
            client = _client(credentials, service, where.connect_url, where.connect_url)
            return fn(client)
        except (ClientError, BotoCoreError) as exc:
            raise client_failure(what, exc) from None

    return await in_thread(run)


async def public_client(credentials: AwsCredentials, service: str) -> Any:
    """A client whose URLs name the configured endpoint (presigning: no request sent)."""
    where = await target(credentials, service)
    return await in_thread(
        lambda: _client(credentials, service, where.public_url, where.connect_url)
    )


@AWS.connection_test
async def test_connection(connection: Connection[AwsCredentials]) -> str:
    me = await call(
        connection.credentials, "sts", "sts.GetCallerIdentity", lambda c: c.get_caller_identity()
    )
    return f"connected to AWS account {me.get('Account')} as {me.get('Arn')}"

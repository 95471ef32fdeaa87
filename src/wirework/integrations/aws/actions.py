"""AWS actions: S3 (``s3_put_object``, ``s3_get_object``, ``s3_list_objects``,
``s3_delete_object``, ``s3_presigned_url``), SQS (``sqs_send_message``,
``sqs_receive_messages``, ``sqs_delete_message``), SNS (``sns_publish``) and Lambda
(``lambda_invoke``). Each runs boto3 in a worker thread after the endpoint passed the
outbound policy (see credentials.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from pydantic import Field

from wirework.integrations.aws.credentials import AWS, AwsCredentials, call, public_client
from wirework.sdk.integration import ActionContext, ActionParams, service_failure
from wirework.sdk.integration.files import (
    DownloadEncoding,
    UploadEncoding,
    content_bytes,
    content_text,
)
from wirework.sdk.node import Item

BUCKET = r"^[a-zA-Z0-9][a-zA-Z0-9.\-_]{1,254}$"
MAX_GET_BYTES = 100 * 1024 * 1024
Bucket = Annotated[str, Field(pattern=BUCKET, description="Bucket name")]
ObjectKey = Annotated[str, Field(min_length=1, max_length=1024, description="Object key")]
VersionId = Annotated[str | None, Field(description="Object version (optional)")]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


# --------------------------------------------------------------------------- S3


class PutObject(ActionParams):
    """Upload an object (S3 PutObject)."""

    bucket: Bucket
    key: ObjectKey = Field(description="Object key, e.g. reports/a.csv")
    content: str | dict[str, Any] = Field(
        description="The object's content: text, base64, or a binary object "
        '{"data": <base64>, "content_type": …} (see encoding)'
    )
    encoding: UploadEncoding = "text"
    content_type: str | None = Field(
        default=None,
        max_length=255,
        description="Content-Type stored with the object (default: the binary object's, or "
        "text/plain for text, application/octet-stream otherwise)",
    )
    metadata: dict[str, str] = Field(
        default_factory=dict, description="User metadata (x-amz-meta-*) stored with the object"
    )
    cache_control: str | None = Field(default=None, description="Cache-Control header (optional)")


@AWS.action(
    "s3_put_object",
    params=PutObject,
    display_name="S3: put object",
    description="Upload an object to an S3 bucket; emits {bucket, key, etag, version_id, size}",
    example={"bucket": "acme-reports", "key": "daily/report.txt", "content": "Hello"},
)
async def s3_put_object(ctx: ActionContext[AwsCredentials], params: PutObject) -> Item:
    body, carried = content_bytes(params.content, params.encoding)
    args: dict[str, Any] = {"Bucket": params.bucket, "Key": params.key, "Body": body}
    args["ContentType"] = params.content_type or carried or "application/octet-stream"
    if params.metadata:
        args["Metadata"] = params.metadata
    if params.cache_control:
        args["CacheControl"] = params.cache_control
    put = await call(ctx.credentials, "s3", "s3.PutObject", lambda c: c.put_object(**args))
    return {
        "bucket": params.bucket,
        "key": params.key,
        "etag": str(put.get("ETag", "")).strip('"'),
        "version_id": put.get("VersionId"),
        "size": len(body),
        "content_type": args["ContentType"],
    }


class GetObject(ActionParams):
    """Download an object (S3 GetObject)."""

    bucket: Bucket
    key: ObjectKey
    encoding: DownloadEncoding = "text"
    max_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1,
        le=MAX_GET_BYTES,
        description="Largest object read, in bytes: a larger one fails the step",
    )
    version_id: VersionId = None


@AWS.action(
    "s3_get_object",
    params=GetObject,
    display_name="S3: get object",
    description="Download an object; emits {bucket, key, content, encoding, content_type, "
    "size, etag, last_modified, metadata}",
    example={"bucket": "acme-reports", "key": "daily/report.txt"},
)
async def s3_get_object(ctx: ActionContext[AwsCredentials], params: GetObject) -> Item:
    args: dict[str, Any] = {"Bucket": params.bucket, "Key": params.key}
    if params.version_id:
        args["VersionId"] = params.version_id
    what = "s3.GetObject"

    def get(client: Any) -> tuple[dict[str, Any], bytes]:
        found = client.get_object(**args)
        stream = found["Body"]
        try:
            size = int(found.get("ContentLength") or 0)
            if size > params.max_bytes:
                raise service_failure(
                    "AWS", what, f"the object is {size} bytes, over max_bytes {params.max_bytes}"
                )
            data = stream.read(params.max_bytes + 1)
            if len(data) > params.max_bytes:
                raise service_failure(
                    "AWS", what, f"the object is over max_bytes {params.max_bytes}"
                )
            return found, data
        finally:
            stream.close()

    found, data = await call(ctx.credentials, "s3", what, get)
    content = content_text(data, params.encoding, "AWS", params.key)
    return {
        "bucket": params.bucket,
        "key": params.key,
        "content": content,
        "encoding": params.encoding,
        "content_type": found.get("ContentType"),
        "size": len(data),
        "etag": str(found.get("ETag", "")).strip('"'),
        "last_modified": _iso(found.get("LastModified")),
        "version_id": found.get("VersionId"),
        "metadata": found.get("Metadata") or {},
    }


class ListObjects(ActionParams):
    """List objects (S3 ListObjectsV2, every page up to max_items)."""

    bucket: Bucket
    prefix: str = Field(default="", max_length=1024, description="Only keys starting with it")
    max_items: int = Field(
        default=1000, ge=1, le=100_000, description="Most objects emitted (pages are followed)"
    )
    page_size: int = Field(default=1000, ge=1, le=1000, description="Objects asked per page")


@AWS.action(
    "s3_list_objects",
    params=ListObjects,
    display_name="S3: list objects",
    description="List a bucket's objects (by prefix, every page up to max_items); emits one "
    "item per object {bucket, key, size, etag, last_modified, storage_class}",
    example={"bucket": "acme-reports", "prefix": "daily/"},
)
async def s3_list_objects(ctx: ActionContext[AwsCredentials], params: ListObjects) -> list[Item]:
    def collect(client: Any) -> list[Item]:
        out: list[Item] = []
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=params.bucket,
            Prefix=params.prefix,
            PaginationConfig={"PageSize": params.page_size, "MaxItems": params.max_items},
        )
        for page in pages:
            for obj in page.get("Contents") or []:
                out.append(
                    {
                        "bucket": params.bucket,
                        "key": obj["Key"],
                        "size": obj.get("Size"),
                        "etag": str(obj.get("ETag", "")).strip('"'),
                        "last_modified": _iso(obj.get("LastModified")),
                        "storage_class": obj.get("StorageClass"),
                    }
                )
                if len(out) >= params.max_items:
                    return out
        return out

    return await call(ctx.credentials, "s3", "s3.ListObjectsV2", collect)


class DeleteObject(ActionParams):
    """Delete an object (S3 DeleteObject)."""

    bucket: Bucket
    key: ObjectKey
    version_id: VersionId = None


@AWS.action(
    "s3_delete_object",
    params=DeleteObject,
    display_name="S3: delete object",
    description="Delete an object (deleting a missing key succeeds, as in S3); emits "
    "{bucket, key, deleted, version_id}",
    example={"bucket": "acme-reports", "key": "daily/old.txt"},
)
async def s3_delete_object(ctx: ActionContext[AwsCredentials], params: DeleteObject) -> Item:
    args: dict[str, Any] = {"Bucket": params.bucket, "Key": params.key}
    if params.version_id:
        args["VersionId"] = params.version_id
    done = await call(ctx.credentials, "s3", "s3.DeleteObject", lambda c: c.delete_object(**args))
    return {
        "bucket": params.bucket,
        "key": params.key,
        "deleted": True,
        "version_id": done.get("VersionId"),
    }


class PresignedUrl(ActionParams):
    """A presigned URL to download or upload one object without credentials."""

    bucket: Bucket
    key: ObjectKey
    method: Literal["get", "put"] = Field(
        default="get", description="get: a download link; put: an upload link"
    )
    expires_in_s: int = Field(
        default=3600, ge=1, le=604_800, description="Validity of the URL, in seconds (max 7 days)"
    )
    content_type: str | None = Field(
        default=None, description="put: the Content-Type the upload must send (optional)"
    )
    check_exists: bool = Field(
        default=True,
        description="First check that the object (get) or the bucket (put) exists, so a typo "
        "fails here rather than when the link is used",
    )


@AWS.action(
    "s3_presigned_url",
    params=PresignedUrl,
    display_name="S3: presigned URL",
    description="Make a presigned GET or PUT URL for an object; emits {url, method, expires_at}",
    example={"bucket": "acme-reports", "key": "daily/report.txt", "expires_in_s": 900},
)
async def s3_presigned_url(ctx: ActionContext[AwsCredentials], params: PresignedUrl) -> Item:
    creds = ctx.credentials
    if params.check_exists:
        if params.method == "get":
            await call(
                creds,
                "s3",
                "s3.HeadObject",
                lambda c: c.head_object(Bucket=params.bucket, Key=params.key),
            )
        else:
            await call(creds, "s3", "s3.HeadBucket", lambda c: c.head_bucket(Bucket=params.bucket))
    client = await public_client(creds, "s3")
    args: dict[str, Any] = {"Bucket": params.bucket, "Key": params.key}
    if params.method == "put" and params.content_type:
        args["ContentType"] = params.content_type
    operation = "get_object" if params.method == "get" else "put_object"
    url = client.generate_presigned_url(
        operation, Params=args, ExpiresIn=params.expires_in_s, HttpMethod=params.method.upper()
    )
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=params.expires_in_s)
    return {"url": url, "method": params.method.upper(), "expires_at": expires.isoformat()}


# --------------------------------------------------------------------------- SQS


def _attributes(values: dict[str, str | int | float]) -> dict[str, Any]:
    """Message attributes: strings as String, numbers as Number."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            out[name] = {"DataType": "String", "StringValue": str(value)}
        else:
            out[name] = {"DataType": "Number", "StringValue": str(value)}
    return out


class SendMessage(ActionParams):
    """Send a message to a queue (SQS SendMessage)."""

    queue_url: str = Field(
        pattern=r"^https?://",
        description="Queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
    )
    body: str | dict[str, Any] | list[Any] = Field(
        description="Message body: text, or JSON (sent serialised)"
    )
    attributes: dict[str, str | int | float] = Field(
        default_factory=dict, description="Message attributes (strings or numbers)"
    )
    delay_s: int = Field(
        default=0, ge=0, le=900, description="Delay before the message is visible (standard)"
    )
    message_group_id: str | None = Field(
        default=None,
        max_length=128,
        description="FIFO queues: the message group (the deduplication id is the step's "
        "idempotency key, so a retried step sends the message once)",
    )


@AWS.action(
    "sqs_send_message",
    params=SendMessage,
    display_name="SQS: send message",
    description="Send a message to an SQS queue (FIFO: deduplicated on the step's "
    "idempotency key); emits {message_id, sequence_number, queue_url}",
    example={
        "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
        "body": {"order": 42},
    },
)
async def sqs_send_message(ctx: ActionContext[AwsCredentials], params: SendMessage) -> Item:
    body = params.body if isinstance(params.body, str) else json.dumps(params.body)
    args: dict[str, Any] = {"QueueUrl": params.queue_url, "MessageBody": body}
    if params.attributes:
        args["MessageAttributes"] = _attributes(params.attributes)
    fifo = params.queue_url.endswith(".fifo")
    if fifo:
        args["MessageGroupId"] = params.message_group_id or "default"
        args["MessageDeduplicationId"] = ctx.idempotency_key[:128]
    elif params.delay_s:
        args["DelaySeconds"] = params.delay_s
    sent = await call(ctx.credentials, "sqs", "sqs.SendMessage", lambda c: c.send_message(**args))
    return {
        "message_id": sent.get("MessageId"),
        "sequence_number": sent.get("SequenceNumber"),
        "queue_url": params.queue_url,
    }


class ReceiveMessages(ActionParams):
    """Receive messages from a queue (SQS ReceiveMessage)."""

    queue_url: str = Field(pattern=r"^https?://", description="Queue URL")
    max_messages: int = Field(default=10, ge=1, le=10, description="Most messages received")
    wait_time_s: int = Field(
        default=0, ge=0, le=20, description="Long polling: wait up to this for a message"
    )
    visibility_timeout_s: int | None = Field(
        default=None,
        ge=0,
        le=43_200,
        description="Hide the received messages from other consumers this long (default: "
        "the queue's)",
    )


@AWS.action(
    "sqs_receive_messages",
    params=ReceiveMessages,
    display_name="SQS: receive messages",
    description="Receive up to 10 messages; emits one item per message {message_id, "
    "receipt_handle, body, json, attributes, message_attributes} (delete each when done)",
    example={
        "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
        "wait_time_s": 5,
    },
)
async def sqs_receive_messages(
    ctx: ActionContext[AwsCredentials], params: ReceiveMessages
) -> list[Item]:
    args: dict[str, Any] = {
        "QueueUrl": params.queue_url,
        "MaxNumberOfMessages": params.max_messages,
        "WaitTimeSeconds": params.wait_time_s,
        "MessageAttributeNames": ["All"],
        "MessageSystemAttributeNames": ["All"],
    }
    if params.visibility_timeout_s is not None:
        args["VisibilityTimeout"] = params.visibility_timeout_s
    got = await call(
        ctx.credentials, "sqs", "sqs.ReceiveMessage", lambda c: c.receive_message(**args)
    )
    out: list[Item] = []
    for message in got.get("Messages") or []:
        body = message.get("Body", "")
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = None
        attrs = {
            name: value.get("StringValue", value.get("BinaryValue"))
            for name, value in (message.get("MessageAttributes") or {}).items()
        }
        out.append(
            {
                "message_id": message.get("MessageId"),
                "receipt_handle": message.get("ReceiptHandle"),
                "body": body,
                "json": parsed,
                "attributes": message.get("Attributes") or {},
                "message_attributes": attrs,
                "queue_url": params.queue_url,
            }
        )
    return out


class DeleteMessage(ActionParams):
    """Delete a received message (SQS DeleteMessage)."""

    queue_url: str = Field(pattern=r"^https?://", description="Queue URL")
    receipt_handle: str = Field(
        min_length=1, description="The receipt handle the receive action emitted"
    )


@AWS.action(
    "sqs_delete_message",
    params=DeleteMessage,
    display_name="SQS: delete message",
    description="Delete a received message by its receipt handle; emits {deleted, queue_url}",
    example={
        "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
        "receipt_handle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a==",
    },
)
async def sqs_delete_message(ctx: ActionContext[AwsCredentials], params: DeleteMessage) -> Item:
    await call(
        ctx.credentials,
        "sqs",
        "sqs.DeleteMessage",
        lambda c: c.delete_message(QueueUrl=params.queue_url, ReceiptHandle=params.receipt_handle),
    )
    return {"deleted": True, "queue_url": params.queue_url}


# --------------------------------------------------------------------------- SNS


class Publish(ActionParams):
    """Publish a notification to a topic (SNS Publish)."""

    topic_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:sns:",
        description="Topic ARN, e.g. arn:aws:sns:eu-west-1:123456789012:alerts",
    )
    message: str | dict[str, Any] = Field(description="Message: text, or JSON (sent serialised)")
    subject: str | None = Field(
        default=None, max_length=100, description="Subject (e-mail subscriptions)"
    )
    attributes: dict[str, str | int | float] = Field(
        default_factory=dict, description="Message attributes (strings or numbers)"
    )
    message_group_id: str | None = Field(
        default=None,
        max_length=128,
        description="FIFO topics: the message group (deduplicated on the step's idempotency key)",
    )


@AWS.action(
    "sns_publish",
    params=Publish,
    display_name="SNS: publish",
    description="Publish a message to an SNS topic; emits {message_id, sequence_number}",
    example={
        "topic_arn": "arn:aws:sns:eu-west-1:123456789012:alerts",
        "subject": "Upload done",
        "message": "report.csv is in S3",
    },
)
async def sns_publish(ctx: ActionContext[AwsCredentials], params: Publish) -> Item:
    message = params.message if isinstance(params.message, str) else json.dumps(params.message)
    args: dict[str, Any] = {"TopicArn": params.topic_arn, "Message": message}
    if params.subject:
        args["Subject"] = params.subject
    if params.attributes:
        args["MessageAttributes"] = _attributes(params.attributes)
    if params.topic_arn.endswith(".fifo"):
        args["MessageGroupId"] = params.message_group_id or "default"
        args["MessageDeduplicationId"] = ctx.idempotency_key[:128]
    sent = await call(ctx.credentials, "sns", "sns.Publish", lambda c: c.publish(**args))
    return {"message_id": sent.get("MessageId"), "sequence_number": sent.get("SequenceNumber")}


# --------------------------------------------------------------------------- Lambda


class Invoke(ActionParams):
    """Invoke a Lambda function (Lambda Invoke)."""

    function_name: str = Field(
        min_length=1,
        max_length=170,
        description="Function name or ARN, e.g. resize-image",
    )
    payload: Any = Field(default=None, description="The event: any JSON value")
    invocation: Literal["sync", "async"] = Field(
        default="sync",
        description="sync: wait for the result (RequestResponse); async: queue the event "
        "(Event) and return at once",
    )
    qualifier: str | None = Field(default=None, description="Version or alias (optional)")


@AWS.action(
    "lambda_invoke",
    params=Invoke,
    display_name="Lambda: invoke",
    description="Invoke a Lambda function with a JSON payload; emits {status_code, "
    "executed_version, result} (a function error fails the step with its message)",
    example={"function_name": "resize-image", "payload": {"key": "photos/1.jpg"}},
)
async def lambda_invoke(ctx: ActionContext[AwsCredentials], params: Invoke) -> Item:
    args: dict[str, Any] = {
        "FunctionName": params.function_name,
        "InvocationType": "RequestResponse" if params.invocation == "sync" else "Event",
        "Payload": json.dumps(params.payload).encode(),
    }
    if params.qualifier:
        args["Qualifier"] = params.qualifier

    def invoke(client: Any) -> dict[str, Any]:
        found = client.invoke(**args)
        stream = found.pop("Payload", None)
        found["body"] = stream.read(6 * 1024 * 1024 + 1) if stream is not None else b""
        return dict(found)

    done = await call(ctx.credentials, "lambda", "lambda.Invoke", invoke)
    raw: bytes = done["body"]
    try:
        result: Any = json.loads(raw) if raw else None
    except ValueError:
        result = raw.decode("utf-8", "replace")
    if done.get("FunctionError"):
        detail = result if isinstance(result, dict) else {}
        kind = detail.get("errorType") or done["FunctionError"]
        message = detail.get("errorMessage") or (result if isinstance(result, str) else "")
        raise service_failure(
            "AWS",
            "lambda.Invoke",
            f"function {params.function_name} failed: {kind}: {message}".rstrip(": "),
            function_error=done["FunctionError"],
        )
    return {
        "status_code": done.get("StatusCode"),
        "executed_version": done.get("ExecutedVersion"),
        "result": result,
    }

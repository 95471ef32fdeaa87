"""The AWS integration through the engine against moto in server mode (real boto3 requests
over HTTP to 127.0.0.1): S3, SQS, SNS, STS; Lambda against a local Invoke endpoint
(fake_lambda.py). Errors name the operation and AWS's code and message, never the secret key;
the outbound policy refuses the endpoint unless it is allowed."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.integrations.aws.conftest import KEY_ID, SECRET_KEY, aws_creds, boto
from tests.integrations.aws.fake_lambda import FakeLambda
from tests.integrations.conftest import failure, output, run_node
from tests.integrations.fakes import serving
from wirework.integrations.aws import AWS


def bucket(moto_url: str) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    boto(moto_url, "s3").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return name


async def run(node_type: str, params: dict[str, Any], url: str, **over: Any) -> Any:
    return await run_node(f"aws.{node_type}", params, aws_creds(url, **over))


# --------------------------------------------------------------------------- S3


async def test_put_and_get_text_with_content_type_and_metadata(aws: str) -> None:
    name = bucket(aws)
    [put] = output(
        await run(
            "s3_put_object",
            {
                "bucket": name,
                "key": "daily/report.csv",
                "content": "a,b\n1,2\n",
                "content_type": "text/csv",
                "metadata": {"source": "wirework"},
            },
            aws,
        )
    )
    assert put["size"] == 8 and put["etag"]
    head = boto(aws, "s3").head_object(Bucket=name, Key="daily/report.csv")
    assert head["ContentType"] == "text/csv" and head["Metadata"] == {"source": "wirework"}
    [got] = output(await run("s3_get_object", {"bucket": name, "key": "daily/report.csv"}, aws))
    assert got["content"] == "a,b\n1,2\n" and got["content_type"] == "text/csv"
    assert got["metadata"] == {"source": "wirework"} and got["etag"] == put["etag"]


async def test_put_base64_and_binary_get_base64(aws: str) -> None:
    name = bucket(aws)
    raw = bytes(range(256))
    data = base64.b64encode(raw).decode()
    output(
        await run(
            "s3_put_object",
            {"bucket": name, "key": "a.bin", "content": data, "encoding": "base64"},
            aws,
        )
    )
    output(
        await run(
            "s3_put_object",
            {
                "bucket": name,
                "key": "b.png",
                "content": {"data": data, "content_type": "image/png"},
                "encoding": "binary",
            },
            aws,
        )
    )
    s3 = boto(aws, "s3")
    assert s3.get_object(Bucket=name, Key="a.bin")["Body"].read() == raw
    b = s3.get_object(Bucket=name, Key="b.png")
    assert b["ContentType"] == "image/png" and b["Body"].read() == raw
    [got] = output(
        await run("s3_get_object", {"bucket": name, "key": "a.bin", "encoding": "base64"}, aws)
    )
    assert base64.b64decode(got["content"]) == raw and got["size"] == 256
    message = failure(await run("s3_get_object", {"bucket": name, "key": "a.bin"}, aws))
    assert "not UTF-8 text" in message


async def test_get_object_size_limit(aws: str) -> None:
    name = bucket(aws)
    boto(aws, "s3").put_object(Bucket=name, Key="big", Body=b"x" * 2000)
    message = failure(
        await run("s3_get_object", {"bucket": name, "key": "big", "max_bytes": 1000}, aws)
    )
    assert message == "AWS: s3.GetObject failed: the object is 2000 bytes, over max_bytes 1000"


async def test_list_objects_follows_pages_up_to_the_max(aws: str) -> None:
    name = bucket(aws)
    s3 = boto(aws, "s3")
    for i in range(7):
        s3.put_object(Bucket=name, Key=f"in/{i}.txt", Body=b"x" * i)
    s3.put_object(Bucket=name, Key="out/x.txt", Body=b"")
    items = output(
        await run("s3_list_objects", {"bucket": name, "prefix": "in/", "page_size": 2}, aws)
    )
    assert [i["key"] for i in items] == [f"in/{i}.txt" for i in range(7)]
    assert items[3]["size"] == 3 and items[0]["last_modified"]
    capped = output(
        await run(
            "s3_list_objects",
            {"bucket": name, "prefix": "in/", "page_size": 2, "max_items": 5},
            aws,
        )
    )
    assert len(capped) == 5


async def test_delete_object(aws: str) -> None:
    name = bucket(aws)
    s3 = boto(aws, "s3")
    s3.put_object(Bucket=name, Key="gone", Body=b"x")
    [done] = output(await run("s3_delete_object", {"bucket": name, "key": "gone"}, aws))
    assert done["deleted"] is True
    assert s3.list_objects_v2(Bucket=name).get("KeyCount") == 0


async def test_presigned_urls_work_against_the_server(aws: str) -> None:
    name = bucket(aws)
    boto(aws, "s3").put_object(Bucket=name, Key="doc.txt", Body=b"hello presigned")
    [link] = output(
        await run("s3_presigned_url", {"bucket": name, "key": "doc.txt", "expires_in_s": 60}, aws)
    )
    assert link["method"] == "GET" and "X-Amz-Signature=" in link["url"]
    assert SECRET_KEY not in link["url"]
    async with httpx.AsyncClient() as plain:
        fetched = await plain.get(link["url"])
        assert fetched.status_code == 200 and fetched.content == b"hello presigned"
        [upload] = output(
            await run(
                "s3_presigned_url",
                {"bucket": name, "key": "up.txt", "method": "put", "content_type": "text/plain"},
                aws,
            )
        )
        sent = await plain.put(
            upload["url"], content=b"uploaded", headers={"content-type": "text/plain"}
        )
        assert sent.status_code == 200, sent.text
    assert boto(aws, "s3").get_object(Bucket=name, Key="up.txt")["Body"].read() == b"uploaded"
    missing = failure(await run("s3_presigned_url", {"bucket": name, "key": "nope"}, aws))
    assert missing.startswith("AWS: s3.HeadObject failed: 404")


async def test_s3_errors_name_the_operation_and_aws_message(aws: str) -> None:
    run_ = await run("s3_put_object", {"bucket": "no-such-bucket", "key": "k", "content": "x"}, aws)
    message = failure(run_)
    assert message == (
        "AWS: s3.PutObject failed: NoSuchBucket: The specified bucket does not exist"
    )
    assert SECRET_KEY not in json.dumps(run_.record.error)
    assert run_.record.error is not None
    assert run_.record.error["details"]["code"] == "NoSuchBucket"
    message = failure(await run("s3_list_objects", {"bucket": "no-such-bucket"}, aws))
    assert message.startswith("AWS: s3.ListObjectsV2 failed: NoSuchBucket:")


# --------------------------------------------------------------------------- SQS


async def test_sqs_send_receive_delete(aws: str) -> None:
    sqs = boto(aws, "sqs")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    [sent] = output(
        await run(
            "sqs_send_message",
            {"queue_url": queue, "body": {"order": 42}, "attributes": {"kind": "new", "n": 3}},
            aws,
        )
    )
    assert sent["message_id"]
    [got] = output(
        await run(
            "sqs_receive_messages",
            {"queue_url": queue, "max_messages": 5, "wait_time_s": 1, "visibility_timeout_s": 30},
            aws,
        )
    )
    assert got["json"] == {"order": 42} and got["message_id"] == sent["message_id"]
    assert got["message_attributes"] == {"kind": "new", "n": "3"}
    assert output(await run("sqs_receive_messages", {"queue_url": queue}, aws)) == []
    output(
        await run(
            "sqs_delete_message",
            {"queue_url": queue, "receipt_handle": got["receipt_handle"]},
            aws,
        )
    )
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "0"})
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


async def test_sqs_delay_and_fifo_deduplication_on_the_idempotency_key(aws: str) -> None:
    sqs = boto(aws, "sqs")
    delayed = sqs.create_queue(QueueName=f"d-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    output(await run("sqs_send_message", {"queue_url": delayed, "body": "x", "delay_s": 60}, aws))
    assert sqs.receive_message(QueueUrl=delayed).get("Messages") is None
    fifo = sqs.create_queue(
        QueueName=f"f-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    sent = await run(
        "sqs_send_message", {"queue_url": fifo, "body": "once", "message_group_id": "g1"}, aws
    )
    output(sent)
    [got] = sqs.receive_message(QueueUrl=fifo, AttributeNames=["All"])["Messages"]
    assert got["Attributes"]["MessageGroupId"] == "g1"
    assert got["Attributes"]["MessageDeduplicationId"] == f"{sent.record.id}:n:0"


async def test_sqs_errors_are_named(aws: str) -> None:
    message = failure(
        await run(
            "sqs_send_message",
            {"queue_url": f"{aws}/123456789012/nope", "body": "x"},
            aws,
        )
    )
    assert message.startswith("AWS: sqs.SendMessage failed: ")
    assert "NonExistentQueue" in message or "QueueDoesNotExist" in message


# --------------------------------------------------------------------------- SNS


async def test_sns_publish_reaches_a_subscribed_queue(aws: str) -> None:
    sns, sqs = boto(aws, "sns"), boto(aws, "sqs")
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"s-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    [sent] = output(
        await run(
            "sns_publish",
            {
                "topic_arn": topic,
                "subject": "Upload done",
                "message": {"key": "a.csv"},
                "attributes": {"team": "ops"},
            },
            aws,
        )
    )
    assert sent["message_id"]
    [delivered] = sqs.receive_message(QueueUrl=queue)["Messages"]
    envelope = json.loads(delivered["Body"])
    assert envelope["Subject"] == "Upload done" and json.loads(envelope["Message"]) == {
        "key": "a.csv"
    }
    assert envelope["MessageAttributes"]["team"]["Value"] == "ops"
    missing = failure(
        await run(
            "sns_publish",
            {"topic_arn": "arn:aws:sns:eu-west-1:123456789012:nope", "message": "x"},
            aws,
        )
    )
    assert missing.startswith("AWS: sns.Publish failed: NotFound")


# --------------------------------------------------------------------------- Lambda


@pytest.fixture
def lambda_server(loopback: None) -> Any:
    with serving(FakeLambda(KEY_ID)) as fake:
        yield fake


async def test_lambda_invoke_sync_async_and_function_error(lambda_server: FakeLambda) -> None:
    url = lambda_server.url
    [done] = output(
        await run("lambda_invoke", {"function_name": "resize", "payload": {"k": 1}}, url)
    )
    assert done == {
        "status_code": 200,
        "executed_version": "7",
        "result": {"echo": {"k": 1}, "ok": True},
    }
    [sent] = lambda_server.seen("POST", "/2015-03-31/functions/resize/invocations")
    assert sent.headers["x-amz-invocation-type"] == "RequestResponse"
    assert sent.json() == {"k": 1}
    [queued] = output(
        await run(
            "lambda_invoke", {"function_name": "resize", "payload": 1, "invocation": "async"}, url
        )
    )
    assert queued["status_code"] == 202 and queued["result"] is None
    message = failure(await run("lambda_invoke", {"function_name": "fails"}, url))
    assert message == (
        "AWS: lambda.Invoke failed: function fails failed: KeyError: no such image: photos/1.jpg"
    )
    message = failure(await run("lambda_invoke", {"function_name": "missing"}, url))
    assert message.startswith(
        "AWS: lambda.Invoke failed: ResourceNotFoundException: Function not found"
    )
    wrong = failure(
        await run(
            "lambda_invoke", {"function_name": "resize"}, url, access_key_id="AKIAOTHERKEY00000"
        )
    )
    assert "UnrecognizedClientException" in wrong and SECRET_KEY not in wrong


# --------------------------------------------------------------------------- STS, policy


async def test_connection_test_and_assumed_role(aws: str) -> None:
    tester = AWS.tester
    assert tester is not None
    plain = await tester(await AWS.connect(aws_creds(aws), 1))
    assert plain.startswith("connected to AWS account 123456789012 as arn:aws:")
    role = "arn:aws:iam::123456789012:role/wirework-test"
    assumed = await tester(await AWS.connect(aws_creds(aws, role_arn=role), 1))
    assert "assumed-role/wirework-test/wirework" in assumed
    # The actions use the role's temporary credentials too.
    name = bucket(aws)
    output(
        await run("s3_put_object", {"bucket": name, "key": "k", "content": "x"}, aws, role_arn=role)
    )


async def test_the_outbound_policy_refuses_a_local_endpoint(moto_url: str) -> None:
    message = failure(await run("s3_list_objects", {"bucket": "anything"}, moto_url))
    assert message.startswith("AWS: ") and "blocked" in message
    tester = AWS.tester
    assert tester is not None
    with pytest.raises(Exception, match=r"AWS: .*blocked"):
        await tester(await AWS.connect(aws_creds(moto_url), 1))


async def test_the_cloud_metadata_address_is_refused(aws: str) -> None:
    message = failure(
        await run("s3_list_objects", {"bucket": "anything"}, "http://169.254.169.254")
    )
    assert message.startswith("AWS: ") and "blocked" in message


async def test_temporary_credentials_with_a_session_token(aws: str) -> None:
    temporary = boto(aws, "sts").get_session_token()["Credentials"]
    name = bucket(aws)
    run_ = await run(
        "s3_put_object",
        {"bucket": name, "key": "t", "content": "x"},
        aws,
        access_key_id=temporary["AccessKeyId"],
        secret_access_key=temporary["SecretAccessKey"],
        session_token=temporary["SessionToken"],
    )
    output(run_)
    assert temporary["SessionToken"] not in json.dumps(run_.outputs)


def test_the_environment_cannot_redirect_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_ENDPOINT_URL (or a config file's endpoint) would bypass the policy's check."""
    from wirework.integrations.aws.credentials import AwsCredentials, _client

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    creds = AwsCredentials.model_validate(
        {"access_key_id": KEY_ID, "secret_access_key": SECRET_KEY, "region": "eu-west-1"}
    )
    client = _client(creds, "s3", None, None)
    assert client.meta.endpoint_url == "https://s3.eu-west-1.amazonaws.com"

"""The AWS examples run end to end by the engine against moto: the SQS consumer archives
orders to S3 and deletes them; the upload workflow stores, links and notifies."""

from __future__ import annotations

import json
from typing import Any

from tests.integrations.aws.conftest import aws_creds, boto
from tests.integrations.workflows import example, run_in_engine
from wirework.engine.executor import ExecutionRun


async def run_example(name: str, url: str, items: list[dict[str, Any]]) -> ExecutionRun:
    values = aws_creds(url)
    return await run_in_engine(example(name, {"aws": values.integration_id}), values, items)


async def test_sqs_order_consumer(aws: str) -> None:
    sqs, s3 = boto(aws, "sqs"), boto(aws, "s3")
    s3.create_bucket(
        Bucket="acme-orders", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    order = {"DataType": "String", "StringValue": "order"}
    for i in (1, 2):
        sqs.send_message(
            QueueUrl=queue,
            MessageBody=json.dumps({"order_id": i, "total": 10 * i}),
            MessageAttributes={"kind": order},
        )
    sqs.send_message(QueueUrl=queue, MessageBody="ping")
    run = await run_example("sqs_order_consumer.yaml", aws, [{}])
    assert run.record.status == "success", run.record.error
    stored = s3.list_objects_v2(Bucket="acme-orders")["Contents"]
    assert sorted(o["Key"] for o in stored) == ["orders/1.json", "orders/2.json"]
    body = s3.get_object(Bucket="acme-orders", Key="orders/2.json")["Body"].read()
    assert json.loads(body) == {"order_id": 2, "total": 20}
    assert len(run.outputs["done"]["main"]) == 2
    # The orders are deleted; the ping (not an order) is left to come back.
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"


async def test_upload_to_s3(aws: str) -> None:
    sns, sqs, s3 = boto(aws, "sns"), boto(aws, "sqs"), boto(aws, "s3")
    s3.create_bucket(
        Bucket="acme-documents", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    topic = sns.create_topic(Name="documents")["TopicArn"]
    queue = sqs.create_queue(QueueName="documents-feed")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
    body = {"name": "q3.csv", "text": "a,b\n1,2\n"}
    run = await run_example("upload_to_s3.yaml", aws, [{"body": body}])
    assert run.record.status == "success", run.record.error
    got = s3.get_object(Bucket="acme-documents", Key="incoming/q3.csv")
    assert got["Body"].read() == b"a,b\n1,2\n" and got["ContentType"] == "text/csv"
    [note] = sqs.receive_message(QueueUrl=queue)["Messages"]
    envelope = json.loads(note["Body"])
    assert envelope["Subject"] == "New document: q3.csv"
    message = json.loads(envelope["Message"])
    assert message["key"] == "incoming/q3.csv" and "X-Amz-Signature=" in message["download"]

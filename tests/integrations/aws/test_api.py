"""An AWS integration made through the API: secrets masked, the connection test against
moto answers who it is connected as, and the catalogue lists the actions."""

from __future__ import annotations

import httpx

from tests.integrations.aws.conftest import KEY_ID, REGION, SECRET_KEY


async def test_aws_integration_through_the_api(client: httpx.AsyncClient, aws: str) -> None:
    made = await client.post(
        "/api/integrations",
        json={
            "name": "AWS acme",
            "type": "aws",
            "credentials": {
                "access_key_id": KEY_ID,
                "secret_access_key": SECRET_KEY,
                "region": REGION,
                "endpoint_url": aws,
            },
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["credentials"]["secret_access_key"] == "********"
    assert SECRET_KEY not in made.text
    tested = await client.post("/api/integrations/test", json={"integration_id": made.json()["id"]})
    assert tested.status_code == 200, tested.text
    body = tested.json()
    assert body["ok"] is True, body
    # (the account id may show masked: the process redacts every secret it has handled, and
    # another test's fake secret can hold the same digits)
    message = body["message"]
    assert message.startswith("connected to AWS account ") and ":user/moto" in message, body
    types = (await client.get("/api/integration-types")).json()
    [aws_type] = [t for t in types if t["key"] == "aws"]
    assert aws_type["builtin"] is True
    assert {a["name"] for a in aws_type["actions"]} >= {
        "s3_put_object",
        "sqs_send_message",
        "sns_publish",
        "lambda_invoke",
    }

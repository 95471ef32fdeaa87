"""A local Lambda Invoke endpoint (moto runs functions only with Docker): the documented REST
shape ``POST /2015-03-31/functions/{name}/invocations`` with SigV4 auth, answering as Lambda
does — 200 and the function's result for RequestResponse, 202 and no body for Event, and a
function error as 200 with ``X-Amz-Function-Error: Unhandled`` and the error object."""

from __future__ import annotations

from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request


class FakeLambda(FakeServer):
    def __init__(self, key_id: str) -> None:
        super().__init__()
        self.key_id = key_id
        self.route("POST", r"/2015-03-31/functions/(?P<name>[^/]+)/invocations", self.invoke)

    def authenticate(self, request: Request) -> Answer | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith(f"AWS4-HMAC-SHA256 Credential={self.key_id}/") or (
            "/lambda/aws4_request" not in auth
        ):
            return Answer(
                403,
                {"message": "The security token included in the request is invalid."},
                {"x-amzn-ErrorType": "UnrecognizedClientException"},
            )
        return None

    def not_found(self, request: Request) -> Answer:
        return Answer(404, {"Type": "User", "message": "Not found"})

    def invoke(self, request: Request, name: str) -> Answer:
        kind = request.headers.get("x-amz-invocation-type", "RequestResponse")
        event: Any = request.json()
        if name == "missing":
            return Answer(
                404,
                {
                    "Type": "User",
                    "message": "Function not found: arn:aws:lambda:eu-west-1:123456789012:"
                    "function:missing",
                },
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
            )
        if kind == "Event":
            return Answer(202, None)
        if name == "fails":
            return Answer(
                200,
                {"errorMessage": "no such image: photos/1.jpg", "errorType": "KeyError"},
                {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"},
            )
        return Answer(200, {"echo": event, "ok": True}, {"X-Amz-Executed-Version": "7"})

"""A local webhook receiver for tests: verifies each delivery with the ``standardwebhooks``
package's own verifier (the reference implementation receivers use), drops repeated
webhook-ids, and records what it accepted."""

from __future__ import annotations

from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.integrations.fakes import Answer, FakeServer, Request

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class Receiver(FakeServer):
    def __init__(self, secret: str = SECRET) -> None:
        super().__init__()
        self.verifier = Webhook(secret)
        self.accepted: list[dict[str, Any]] = []
        self.seen_ids: set[str] = set()
        self.route("POST", "/hooks/orders", self._deliver)

    def _deliver(self, request: Request) -> Answer:
        try:
            payload = self.verifier.verify(request.body, request.headers)
        except WebhookVerificationError as exc:
            return Answer(400, {"message": f"signature: {exc}"})
        msg_id = request.headers["webhook-id"]
        if msg_id in self.seen_ids:
            return Answer(200, {"status": "duplicate"})
        self.seen_ids.add(msg_id)
        self.accepted.append({"id": msg_id, "payload": payload, "headers": request.headers})
        return Answer(200, {"status": "received"})

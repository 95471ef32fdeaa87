"""A local server speaking Anthropic's API: ``POST /v1/messages`` (text and ``tool_use``
blocks; with ``stream: true`` the event stream message_start, content_block_start/delta/
stop, message_delta with the output tokens, message_stop) and ``GET /v1/models``.
Scripted and recording: see ``tests/integrations/model_server.py``."""

from __future__ import annotations

import json
from typing import Any

from tests.integrations.model_server import (
    Fail,
    Handler,
    Hang,
    ModelServer,
    Raw,
    Reply,
    Request,
)

__all__ = ["AnthropicServer", "Fail", "Hang", "Raw", "Reply"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def _error(fail: Fail) -> dict[str, Any]:
    kind = ERROR_TYPES.get(fail.status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": fail.message}}


class AnthropicServer(ModelServer):
    def __init__(self) -> None:
        super().__init__()
        self.models = ["claude-test-1", "claude-test-2"]

    def __enter__(self) -> AnthropicServer:
        super().__enter__()
        return self

    def route(self, handler: Handler, request: Request) -> None:
        path = request.path.rstrip("/")
        if request.method == "GET" and path == "/v1/models":
            answered, _ = handler.answer_special(self.next_answer(chat=False), _error)
            if answered:
                return
            data = [
                {
                    "type": "model",
                    "id": m,
                    "display_name": m.replace("-", " ").title(),
                    "created_at": "2025-01-01T00:00:00Z",
                }
                for m in self.models
            ]
            handler.send_json(
                200,
                {
                    "data": data,
                    "has_more": False,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None,
                },
            )
        elif request.method == "POST" and path == "/v1/messages":
            answered, reply = handler.answer_special(self.next_answer(chat=True), _error)
            if not answered:
                self._message(handler, request.json, reply or Reply(text="ok"))
        else:
            handler.send_json(404, _error(Fail(404, f"no route {request.method} {path}")))

    def _message(self, handler: Handler, body: dict[str, Any], reply: Reply) -> None:
        model = reply.model or body.get("model") or "claude"
        blocks: list[dict[str, Any]] = []
        if reply.text:
            blocks.append({"type": "text", "text": reply.text})
        for i, (name, arguments) in enumerate(reply.tool_calls):
            blocks.append(
                {"type": "tool_use", "id": f"toolu_{i + 1}", "name": name, "input": arguments}
            )
        stop = reply.finish_reason or ("tool_use" if reply.tool_calls else "end_turn")
        if body.get("stream"):
            self._stream(handler, model, blocks, stop, reply)
            return
        handler.send_json(
            200,
            {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": blocks,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
            },
            {"request-id": "req_test"},
        )

    def _stream(
        self,
        handler: Handler,
        model: str,
        blocks: list[dict[str, Any]],
        stop: str,
        reply: Reply,
    ) -> None:
        handler.start_events()

        def send(name: str, data: dict[str, Any]) -> None:
            handler.event({"type": name, **data}, name)

        send(
            "message_start",
            {
                "message": {
                    "id": "msg_test",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
                }
            },
        )
        send("ping", {})
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                send(
                    "content_block_start",
                    {"index": index, "content_block": {"type": "text", "text": ""}},
                )
                text = block["text"]
                for start in range(0, len(text), 4):
                    send(
                        "content_block_delta",
                        {
                            "index": index,
                            "delta": {"type": "text_delta", "text": text[start : start + 4]},
                        },
                    )
            else:
                send(
                    "content_block_start",
                    {"index": index, "content_block": {**block, "input": {}}},
                )
                raw = json.dumps(block["input"])
                half = len(raw) // 2
                for piece in (raw[:half], raw[half:]):
                    send(
                        "content_block_delta",
                        {
                            "index": index,
                            "delta": {"type": "input_json_delta", "partial_json": piece},
                        },
                    )
            send("content_block_stop", {"index": index})
        send(
            "message_delta",
            {
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": reply.output_tokens},
            },
        )
        send("message_stop", {})
        handler.end_events()

"""A local server speaking OpenAI's API (what OpenAI-compatible servers serve): chat
completions (tool calls, JSON Schema response formats, server-sent events with a final usage
chunk when ``stream_options.include_usage``), embeddings and ``GET /models``, under any prefix
(``/v1/chat/completions``, Azure's ``/openai/deployments/<name>/chat/completions``).
Scripted and recording: see ``tests/integrations/model_server.py``."""

from __future__ import annotations

import hashlib
import json
import time
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

__all__ = ["Fail", "Hang", "OpenAIServer", "Raw", "Reply", "vector_of"]

ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}


def vector_of(text: str, size: int = 8) -> list[float]:
    """The server's embedding of ``text``: deterministic, so tests can compare."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 255, 4) for b in digest[:size]]


def _error(fail: Fail) -> dict[str, Any]:
    kind = ERROR_TYPES.get(fail.status, "server_error")
    return {"error": {"message": fail.message, "type": kind, "param": None, "code": None}}


class OpenAIServer(ModelServer):
    def __enter__(self) -> OpenAIServer:
        super().__enter__()
        return self

    def route(self, handler: Handler, request: Request) -> None:
        path = request.path.rstrip("/")
        if request.method == "GET" and path.endswith("/models"):
            self._models(handler)
        elif request.method == "POST" and path.endswith("/chat/completions"):
            self._chat(handler, request)
        elif request.method == "POST" and path.endswith("/embeddings"):
            self._embeddings(handler, request)
        else:
            handler.send_json(404, _error(Fail(404, f"no route {request.method} {path}")))

    def _models(self, handler: Handler) -> None:
        answered, _ = self._special(handler, chat=False)
        if answered:
            return
        data = [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "test"}
            for m in self.models
        ]
        handler.send_json(200, {"object": "list", "data": data})

    def _special(self, handler: Handler, chat: bool) -> tuple[bool, Reply | None]:
        """(answered already, the reply to render)."""
        return handler.answer_special(self.next_answer(chat), _error)

    def _embeddings(self, handler: Handler, request: Request) -> None:
        answered, _ = self._special(handler, chat=False)
        if answered:
            return
        body = request.json
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": vector_of(str(t))}
            for i, t in enumerate(texts)
        ]
        tokens = sum(len(str(t).split()) for t in texts)
        handler.send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _chat(self, handler: Handler, request: Request) -> None:
        answered, reply = self._special(handler, chat=True)
        if answered:
            return
        reply = reply or Reply(text="ok")
        body = request.json
        model = reply.model or body.get("model") or "deployment"
        calls = [
            {
                "id": f"call_{i + 1}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for i, (name, arguments) in enumerate(reply.tool_calls)
        ]
        finish = reply.finish_reason or ("tool_calls" if calls else "stop")
        usage = {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        }
        if body.get("stream"):
            self._stream(handler, body, reply, model, calls, finish, usage)
            return
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        handler.send_json(
            200,
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": finish, "logprobs": None}
                ],
                "usage": usage,
            },
        )

    def _stream(
        self,
        handler: Handler,
        body: dict[str, Any],
        reply: Reply,
        model: str,
        calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, int],
    ) -> None:
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0}

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                **base,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        handler.start_events()
        handler.event(chunk({"role": "assistant", "content": ""}))
        text = reply.text or ""
        for start in range(0, len(text), 4):  # a few characters per chunk
            handler.event(chunk({"content": text[start : start + 4]}))
        for index, call in enumerate(calls):
            arguments = call["function"]["arguments"]
            handler.event(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            half = len(arguments) // 2
            for piece in (arguments[:half], arguments[half:]):
                handler.event(
                    chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                )
        handler.event(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            handler.event({**base, "model": model, "choices": [], "usage": usage})
        handler.event("[DONE]")
        handler.end_events()

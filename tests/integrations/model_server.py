"""What the local model servers share (``openai/server.py``, ``anthropic/server.py``): a real
HTTP server on 127.0.0.1 answering from a queue of scripted answers and recording every
request, for tests of model providers, AI nodes, agents and chat triggers.

    with OpenAIServer() as server:
        server.script(Fail(429, "slow down", retry_after=0), Reply(text="hello"))
        ... run something against server.url ...
        assert server.requests[-1].json["model"] == "gpt-test"

A chat request takes the next scripted answer (an empty queue answers ``Reply("ok")``);
other endpoints (embeddings, models) take the next one only when it is a :class:`Fail`,
:class:`Raw` or :class:`Hang`, else answer by default. Streaming requests get the vendor's
server-sent events.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """A model's answer: text and/or tool calls ``(name, arguments)``; usage tokens."""

    text: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    input_tokens: int = 11
    output_tokens: int = 7
    finish_reason: str | None = None  # default: "tool_calls"/"tool_use" if tools, else stop
    model: str | None = None  # default: the model asked for


@dataclass
class Fail:
    """An error answer in the vendor's shape."""

    status: int
    message: str = "scripted failure"
    retry_after: float | str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Raw:
    """Any answer, as given."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Hang:
    """Wait this long before answering ``then`` (a timeout test's slow server)."""

    seconds: float
    then: Reply | Fail | Raw | None = None


Answer = Reply | Fail | Raw | Hang


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ModelServer:
    """The scripted, recording server; vendors override :meth:`route`."""

    def __init__(self) -> None:
        self.answers: deque[Answer] = deque()
        self.requests: list[Request] = []
        self.models: list[str] = ["model-a", "model-b"]
        self.url = ""
        self._lock = threading.Lock()

    # -- scripting -------------------------------------------------------------------------

    def script(self, *answers: Answer) -> None:
        with self._lock:
            self.answers.extend(answers)

    def next_answer(self, chat: bool) -> Answer | None:
        with self._lock:
            if self.answers and (chat or not isinstance(self.answers[0], Reply)):
                return self.answers.popleft()
        return Reply(text="ok") if chat else None

    def bodies(self) -> str:
        """Every recorded request's body, headers excluded (for "no secret sent" checks)."""
        return "\n".join(r.body.decode("utf-8", "replace") for r in self.requests)

    # -- vendor part -------------------------------------------------------------------------

    def route(self, handler: Handler, request: Request) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- serving ------------------------------------------------------------------------------

    def __enter__(self) -> ModelServer:
        server = self

        class _Handler(Handler):
            owner = server

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    owner: ModelServer

    def log_message(self, *args: Any) -> None:
        pass

    def _any(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        parts = urlsplit(self.path)
        request = Request(
            self.command,
            parts.path,
            parse_qs(parts.query),
            {k.lower(): v for k, v in self.headers.items()},
            self.rfile.read(length) if length else b"",
        )
        self.owner.requests.append(request)
        self.owner.route(self, request)

    do_GET = do_POST = do_PUT = do_DELETE = _any

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"content-type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def start_events(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def event(self, data: Any, name: str | None = None) -> None:
        text = data if isinstance(data, str) else json.dumps(data)
        frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
        raw = frame.encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def end_events(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def answer_special(self, answer: Answer | None, error_body: Any) -> tuple[bool, Reply | None]:
        """Send a Fail or Raw answer (after a Hang's wait): (True, None). Else (False, the
        Reply to render, or None for the endpoint's default answer)."""
        if isinstance(answer, Hang):
            time.sleep(answer.seconds)
            answer = answer.then
        if isinstance(answer, Fail):
            headers = dict(answer.headers)
            if answer.retry_after is not None:
                headers["retry-after"] = str(answer.retry_after)
            self.send_json(answer.status, error_body(answer), headers)
            return True, None
        if isinstance(answer, Raw):
            self.send_json(answer.status, answer.body, answer.headers)
            return True, None
        return False, answer

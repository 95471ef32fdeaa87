"""A base for local fake SaaS servers: a real HTTP server on 127.0.0.1 (a thread), routes by
method and path pattern, every request recorded, and injected answers (the next N requests
answered 429 with Retry-After, or 5xx) to test retries. Each vendor's fake (Jira, GitHub)
implements the documented endpoints the integration uses, with the vendor's auth checks,
validation and error bodies."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a local server to listen on)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Answer]


class FakeServer:
    """Subclasses register routes with :meth:`route` and check auth in :meth:`authenticate`
    (return an Answer to refuse)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._injected: list[Answer] = []
        self._lock = threading.Lock()
        self.url = ""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def inject(self, *answers: Answer) -> None:
        """The next requests get these answers (after authentication), in order."""
        with self._lock:
            self._injected.extend(answers)

    def authenticate(self, request: Request) -> Answer | None:
        return None

    def not_found(self, request: Request) -> Answer:
        return Answer(404, {"message": "Not Found"})

    def handle(self, request: Request) -> Answer:
        self.requests.append(request)
        refused = self.authenticate(request)
        if refused is not None:
            return refused
        with self._lock:
            injected = self._injected.pop(0) if self._injected else None
        if injected is not None:
            return injected
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handler(request, **match.groupdict())
        return self.not_found(request)

    def seen(self, method: str, path_pattern: str) -> list[Request]:
        pattern = re.compile(f"^{path_pattern}$")
        return [r for r in self.requests if r.method == method and pattern.match(r.path)]


@contextmanager
def serving(fake: FakeServer) -> Iterator[FakeServer]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # one segment per answer: no delayed-ACK stalls

        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command,
                url.path,
                dict(parse_qsl(url.query, keep_blank_values=True)),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            try:
                answer = fake.handle(request)
            except Exception as exc:  # a bug in the fake: visible, not a hang
                answer = Answer(500, {"message": f"fake server error: {exc!r}"})
            body = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            headers = {"content-type": "application/json", **answer.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()

"""A real HTTP server on 127.0.0.1 for outbound tests: echoes requests, redirects, serves
large, chunked and gzip-bombed bodies, and records what it received."""

from __future__ import annotations

import functools
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CHUNK = 64 * 1024


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Served:
    url: str
    port: int
    requests: list[Seen] = field(default_factory=list)
    bytes_sent: int = 0
    done: threading.Event = field(default_factory=threading.Event)  # a body finished or broke


@functools.cache
def _gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzipped (about a thousandth of that), made without holding them."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = b"\0" * min(size, 1 << 20)
    parts = [
        compressor.compress(block[: min(len(block), size - done)])
        for done in range(0, size, len(block))
    ]
    parts.append(compressor.flush())
    return b"".join(parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served: Served

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "content-length" not in {n.lower() for n in headers or {}}:
            self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                self.close_connection = True

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        args = dict(query)
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.served.requests.append(Seen(self.command, url.path, query, headers, body))
        if url.path == "/echo":
            echoed = {
                "method": self.command,
                "path": url.path,
                "query": query,
                "headers": headers,
                "body": body.decode("utf-8", "replace"),
            }
            self._reply(200, json.dumps(echoed).encode(), {"content-type": "application/json"})
        elif url.path == "/redirect":
            body = b"r" * int(args.get("body", "0"))  # a redirect may have a body too
            self._reply(int(args.get("status", "302")), body, {"location": args["to"]})
        elif url.path == "/big":
            self._big(int(args["size"]), args.get("mode", "length"))
        elif url.path == "/gzip":
            data = _gzip_bomb(int(args["size"]))
            self._reply(200, data, {"content-encoding": "gzip", "content-type": "text/plain"})
        elif url.path == "/declared":  # a Content-Length far above what is sent
            self._reply(200, b"tiny", {"content-length": args["length"]})
        else:
            self._reply(404, b'{"error": "nope"}', {"content-type": "application/json"})

    def _big(self, size: int, mode: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/octet-stream")
        if mode == "length":
            self.send_header("content-length", str(size))
        else:
            self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            sent = 0
            while sent < size:
                piece = b"a" * min(CHUNK, size - sent)
                if mode == "length":
                    self.wfile.write(piece)
                else:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
                self.served.bytes_sent = sent
            if mode != "length":
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.served.done.set()

    do_GET = do_POST = do_PUT = do_HEAD = _handle


@contextmanager
def local_server() -> Iterator[Served]:
    """A server on 127.0.0.1 and a free port, shut down on exit."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    served = Served(url=f"http://127.0.0.1:{port}", port=port)
    handler.served = served
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

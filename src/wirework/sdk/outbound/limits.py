"""Response-size limits: no outbound response body grows past its limit in memory.

The limit applies to the body as the caller reads it, i.e. *after* decompression (a gzip bomb
is stopped after ``limit`` decompressed bytes, never inflated whole), and to the bytes on the
wire. A ``Content-Length`` above the limit is refused before the body is read. The body is
streamed in small pieces, so reading stops as soon as the limit is passed.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

PIECE = 16 * 1024  # wire bytes handed on at a time (bounds what one piece inflates to)
OUT_PIECE = 64 * 1024  # decompressed bytes produced at a time while counting
MAX_ENCODINGS = 4
ACCEPT_ENCODING = "gzip, deflate"  # the encodings whose decompressed size is bounded


class ResponseTooLarge(httpx.HTTPError):
    """A response body is larger than the limit its client allows."""

    def __init__(self, request: httpx.Request, limit: int, declared: int | None = None) -> None:
        where = request.url.copy_with(query=None, fragment=None)
        size = f" (Content-Length {declared})" if declared is not None else ""
        super().__init__(
            f"response of {request.method} {where} is larger than the limit of {limit} bytes{size}"
        )
        self.request = request
        self.limit = limit


def _size_error(request: httpx.Request, limit: int) -> ResponseTooLarge:
    return ResponseTooLarge(request, limit)


class _Inflater:
    """One content-encoding (gzip or deflate), decoded in bounded pieces, the way httpx
    decodes it (a deflate body may be zlib-wrapped or raw; bytes after a gzip member are
    ignored)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.first = True
        self.done = False
        wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
        self.obj = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self.done:
            try:
                out = self.obj.decompress(data, OUT_PIECE)
            except zlib.error as exc:
                if self.encoding == "deflate" and self.first:
                    self.first = False
                    self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise httpx.DecodingError(f"{self.encoding} body is corrupt: {exc}") from None
            self.first = False
            if out:
                yield out
            if self.obj.eof:
                self.done = True
            data = self.obj.unconsumed_tail

    def flush(self) -> Iterator[bytes]:
        if not self.done:
            rest = self.obj.flush()
            if rest:
                yield rest


class DecodedSize:
    """Counts the decompressed size of a body fed piece by piece, holding no more than one
    piece of decompressed data, and raises ResponseTooLarge past ``limit``."""

    def __init__(self, content_encoding: str, limit: int, request: httpx.Request) -> None:
        self.limit = limit
        self.request = request
        self.total = 0
        stages: list[_Inflater] = []
        for token in content_encoding.split(","):
            token = token.strip().lower()
            if token in ("gzip", "deflate"):
                stages.append(_Inflater(token))
            elif token in ("br", "zstd"):
                raise httpx.DecodingError(
                    f"the response is {token}-encoded, which is not accepted here "
                    f"(Accept-Encoding: {ACCEPT_ENCODING})",
                    request=request,
                )
        if len(stages) > MAX_ENCODINGS:
            raise httpx.DecodingError("too many content encodings", request=request)
        self.stages = list(reversed(stages))  # the last encoding applied is undone first

    def feed(self, data: bytes) -> None:
        self._push(0, data)

    def finish(self) -> None:
        for index, stage in enumerate(self.stages):
            for out in stage.flush():
                self._push(index + 1, out)

    def _push(self, index: int, data: bytes) -> None:
        if index == len(self.stages):
            self.total += len(data)
            if self.total > self.limit:
                raise _size_error(self.request, self.limit)
            return
        for out in self.stages[index].feed(data):
            self._push(index + 1, out)


class _LimitedStream(httpx.AsyncByteStream):
    def __init__(
        self, inner: httpx.AsyncByteStream, limit: int, request: httpx.Request, encoding: str
    ) -> None:
        self._inner = inner
        self._limit = limit
        self._request = request
        self._encoding = encoding

    async def __aiter__(self) -> AsyncIterator[bytes]:
        decoded = DecodedSize(self._encoding, self._limit, self._request)
        wire = 0
        async for chunk in self._inner:
            for start in range(0, len(chunk), PIECE):
                piece = chunk[start : start + PIECE]
                wire += len(piece)
                if wire > self._limit:
                    raise _size_error(self._request, self._limit)
                if decoded.stages:
                    decoded.feed(piece)
                yield piece
        decoded.finish()

    async def aclose(self) -> None:
        await self._inner.aclose()


class LimitedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport so that every response body it returns is size-limited."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limit: int) -> None:
        self.inner = inner
        self.limit = limit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        declared = response.headers.get("content-length", "").strip()
        if request.method != "HEAD" and declared.isdigit() and int(declared) > self.limit:
            await response.aclose()
            raise ResponseTooLarge(request, self.limit, int(declared))
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _LimitedStream(
            response.stream, self.limit, request, response.headers.get("content-encoding", "")
        )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

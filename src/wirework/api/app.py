"""The FastAPI application: API under /api, webhooks, OpenAPI at /docs, the UI at /."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from wirework import __version__
from wirework.api import errors, ui
from wirework.api.routes import (
    api_keys,
    auth,
    executions,
    health,
    integration_types,
    integrations,
    runs,
    session,
    setup,
    users,
    webhooks,
    workflows,
)
from wirework.logging import configure as configure_logging
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings, get_settings

WEBHOOK_PREFIXES = ("/webhook/", "/webhook-test/", "/webhook-waiting/")


class WireworkAPI(FastAPI):
    """FastAPI with a short path for webhook calls, the hot path: a call that fully matches
    one of ``fast_routes`` goes straight to its endpoint, skipping FastAPI's middleware stack
    and router (about a tenth of the CPU a webhook execution costs). What that stack would do
    for it is done here: the app's exception handlers answer errors, and a 500 is re-raised
    for the server to log, as Starlette does. Anything else (another path, a method the route
    does not take, middleware added with ``add_middleware``) takes the full stack."""

    fast_routes: Sequence[Route] = ()
    #: Largest /api request body (WIREWORK_API_MAX_BODY_BYTES); webhooks have their own limit.
    max_body_bytes: int = 64 * 1024 * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            limited = await _limit_body(scope, receive, send, self.max_body_bytes)
            if limited is None:
                return  # answered 413 (or the client left)
            receive = limited
        if (
            scope["type"] == "http"
            and scope["path"].startswith(WEBHOOK_PREFIXES)
            and not self.user_middleware
        ):
            for route in self.fast_routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    scope["app"] = self
                    scope["router"] = self.router
                    await self._serve(route, scope, receive, send)
                    return
                if match is Match.PARTIAL:
                    break  # a method the route does not take: the router answers 405
        await super().__call__(scope, receive, send)

    async def _serve(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response: Response = await route.endpoint(request)
        except Exception as exc:
            await self._answer_error(request, exc, send)
            return
        await response(scope, receive, send)

    async def _answer_error(self, request: Request, exc: Exception, send: Send) -> None:
        """Answer as Starlette's ExceptionMiddleware (a handler for the exception's class or
        HTTP status) or else ServerErrorMiddleware (the 500 handler, then re-raise) would."""
        handlers = self.exception_handlers
        handler = handlers.get(exc.status_code) if isinstance(exc, HTTPException) else None
        if handler is None:
            for cls in type(exc).__mro__:
                if cls is Exception:
                    break
                handler = handlers.get(cls)
                if handler is not None:
                    break
        if handler is not None:
            await self._send_handled(handler, request, exc, send)
            return
        handler = handlers.get(500) or handlers.get(Exception)
        if handler is not None:
            await self._send_handled(handler, request, exc, send)
        raise exc

    @staticmethod
    async def _send_handled(handler: Any, request: Request, exc: Exception, send: Send) -> None:
        if inspect.iscoroutinefunction(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        if response is not None:
            await response(request.scope, request.receive, send)


async def _refuse(send: Send, status: int, detail: str, code: str) -> None:
    body = json.dumps({"detail": detail, "code": code, "errors": []}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int) -> None:
    await _refuse(send, 413, f"request body larger than {limit} bytes", "body_too_large")


async def _limit_body(scope: Scope, receive: Receive, send: Send, limit: int) -> Receive | None:
    """Refuse a body over ``limit`` bytes with 413 before anything parses it. A declared
    Content-Length is checked at once; a chunked body is read (up to the limit) and replayed.
    Returns the receive to use, or None when the request was answered."""
    declared = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value
            break
    if declared is not None:
        if not declared.isdigit():
            await _refuse(send, 400, "invalid Content-Length header", "bad_request")
            return None
        if int(declared) > limit:
            await _too_large(send, limit)
            return None
        return receive  # the server never passes more than the declared length
    if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            await _too_large(send, limit)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def replayed() -> Message:
        return replay.pop() if replay else await receive()

    return replayed


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> WireworkAPI:
    """Build the app. With ``runtime`` given the caller owns it; else the lifespan opens one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            app.state.runtime = runtime
            yield
            return
        opened = await open_runtime(settings or get_settings())
        app.state.runtime = opened
        # Start the engine now: it resumes what a previous process left unfinished.
        await ensure_engine(opened)
        try:
            yield
        finally:
            await opened.close()

    app = WireworkAPI(
        title="Wirework",
        version=__version__,
        description="Self-hosted workflow automation. Every /api route but login, set-up and "
        "health needs `Authorization: Bearer <login token or API key>`.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    if runtime is not None:
        app.state.runtime = runtime
    active = runtime.settings if runtime is not None else (settings or get_settings())
    app.max_body_bytes = active.api_max_body_bytes
    if not structlog.is_configured():
        # Never structlog's default renderer: its tracebacks print local variables.
        configure_logging(active.log_level, active.log_format)
    errors.install(app)
    for module in (
        health,
        setup,
        auth,
        session,
        users,
        api_keys,
        integration_types,
        integrations,
        workflows,
        executions,
        runs,
    ):
        app.include_router(module.router, prefix="/api")
    app.include_router(workflows.node_types_router, prefix="/api")
    # Webhooks first: the hot path should not be matched against every API route.
    app.router.routes[:0] = webhooks.routes
    app.fast_routes = [
        r
        for r in webhooks.routes
        if isinstance(r, Route) and inspect.iscoroutinefunction(r.endpoint)
    ]

    ui.install(app, active.ui_dir)
    return app

"""The FastAPI application: API under /api, webhooks, OpenAPI at /docs, the UI at /."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wirework import __version__
from wirework.api import errors, ui
from wirework.api.bodies import BadJson, parse_json
from wirework.api.routes import (
    ai,
    ai_assistant,
    api_keys,
    approvals,
    auth,
    chat,
    dashboard,
    executions,
    expressions,
    health,
    integration_types,
    integrations,
    runs,
    session,
    setup,
    system,
    users,
    webhook_tests,
    webhooks,
    workflows,
)
from wirework.logging import configure as configure_logging
from wirework.services.engine import ensure_engine
from wirework.services.ratelimit import AuthGuard
from wirework.services.runtime import Runtime, open_runtime
from wirework.services.workers import Heartbeats
from wirework.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
#: Swagger UI and ReDoc, shipped by the fastapi-offline package: /docs and /redoc load nothing
#: from another host, so they work on a machine without internet.
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS_ASSETS_URL = "/static/docs"
WEBHOOK_PREFIXES = ("/webhook/", "/webhook-test/", "/webhook-waiting/")


class WireworkAPI(FastAPI):
    """FastAPI with a short path for webhook calls, the hot path: a call to ``/webhook/…``,
    ``/webhook-test/…`` or ``/webhook-waiting/…`` that fully matches one of ``fast_routes``
    goes straight to its endpoint, skipping FastAPI's middleware stack and router (about a
    tenth of the CPU a webhook execution costs). What that stack would do for it is done here:
    the app's exception handlers answer errors, and a 500 is re-raised for the server to log,
    as Starlette does. Other paths take the full stack; a webhook path the routes do not fully
    match (404, 405) takes the full stack without the app middleware.

    Middleware added with ``add_middleware`` (sessions, CSRF, CORS for the UI and the API)
    never applies to webhooks: callers are machines authenticated by the webhook itself, a
    session cookie must never authenticate them and CSRF checks would refuse them. Middleware
    that should apply to webhooks is added with :meth:`add_webhook_middleware` (pure ASGI,
    e.g. CORS for browser callers); it wraps the short path, which stays on either way."""

    fast_routes: Sequence[Route] = ()
    #: Largest /api request body (WIREWORK_API_MAX_BODY_BYTES); webhooks have their own limit.
    max_body_bytes: int = 64 * 1024 * 1024
    #: Webhook calls the short path has served (diagnostics and tests).
    fast_path_calls: int = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.webhook_middleware: list[Middleware] = []
        self._webhook_stack: ASGIApp | None = None
        self._webhook_fallback: ASGIApp | None = None

    def add_webhook_middleware(
        self, middleware_class: Callable[..., ASGIApp], *args: Any, **kwargs: Any
    ) -> None:
        """Wrap webhook calls (and only them) in a pure-ASGI middleware; the last added runs
        first, as with ``add_middleware``."""
        if self._webhook_stack is not None:
            raise RuntimeError("Cannot add middleware after an application has started")
        self.webhook_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith(WEBHOOK_PREFIXES):
                if not self.webhook_middleware:
                    await self._webhook(scope, receive, send)
                    return
                if self._webhook_stack is None:
                    stack: ASGIApp = self._webhook
                    for cls, args, kwargs in reversed(self.webhook_middleware):
                        stack = cls(stack, *args, **kwargs)
                    self._webhook_stack = stack
                scope["app"] = self
                await self._webhook_stack(scope, receive, send)
                return
            if path.startswith("/api/"):
                limited = await _limit_body(scope, receive, send, self.max_body_bytes)
                if limited is None:
                    return  # answered 413 (or the client left)
                receive = limited
                if _has_json_body(scope):
                    checked = await _check_json(receive, send)
                    if checked is None:
                        return  # answered 422 (or the client left)
                    receive = checked
        await super().__call__(scope, receive, send)

    async def _webhook(self, scope: Scope, receive: Receive, send: Send) -> None:
        for route in self.fast_routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                self.fast_path_calls += 1
                scope.update(child_scope)
                scope["app"] = self
                scope["router"] = self.router
                await self._serve(route, scope, receive, send)
                return
            if match is Match.PARTIAL:
                break  # a method the route does not take: the router answers 405
        # The router answers (404, 405) through the full stack minus the app middleware,
        # which is not for webhooks either.
        if self._webhook_fallback is None:
            app_middleware, self.user_middleware = self.user_middleware, []
            try:
                self._webhook_fallback = self.build_middleware_stack()
            finally:
                self.user_middleware = app_middleware
        scope["app"] = self
        await self._webhook_fallback(scope, receive, send)

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


async def _refuse(
    send: Send, status: int, detail: str, code: str, errors: list[dict[str, str]] | None = None
) -> None:
    body = json.dumps({"detail": detail, "code": code, "errors": errors or []}).encode()
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


def _install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc with their scripts, styles and icon from this server."""
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    oauth2_redirect = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    def assets(request: Request) -> str:
        return f"{request.scope.get('root_path', '')}{DOCS_ASSETS_URL}"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            oauth2_redirect_url=f"{root}{oauth2_redirect}",
            swagger_js_url=f"{assets(request)}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets(request)}/swagger-ui.css",
            swagger_favicon_url=f"{assets(request)}/favicon.png",
            # No badge fetched from the public validator service.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})},
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API reference",
            redoc_js_url=f"{assets(request)}/redoc.standalone.js",
            redoc_favicon_url=f"{assets(request)}/favicon.png",
            with_google_fonts=False,
        )


def _has_json_body(scope: Scope) -> bool:
    if scope["method"] in ("GET", "HEAD", "OPTIONS"):
        return False
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


async def _check_json(receive: Receive, send: Send) -> Receive | None:
    """Refuse a JSON body that :func:`parse_json` refuses (NaN, deep nesting, lone
    surrogates, not UTF-8, ...) with 422 naming the body, before a route parses it with a
    parser that would let it through or crash. Returns the receive that replays the body,
    or None when the request was answered."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks)
    if raw.strip():
        try:
            parse_json(raw)
        except BadJson as exc:
            error = {"field": "body", "message": str(exc)}
            await _refuse(send, 422, f"body: {exc}", "validation_error", [error])
            return None
    replay: list[Message] = [{"type": "http.request", "body": raw, "more_body": False}]

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
        host = await ensure_engine(opened)
        # This server in the workers table (GET /api/system/workers), beating until it stops.
        beats = Heartbeats(
            opened.sessionmaker,
            worker_id=host.worker_id,
            kind="server",
            running=lambda: len(host.runner.running),
        )
        await beats.start()
        try:
            yield
        finally:
            await beats.stop()
            await opened.close()

    app = WireworkAPI(
        title="Wirework",
        version=__version__,
        description="Self-hosted workflow automation. Every /api route but login, set-up and "
        "health needs `Authorization: Bearer <login token or API key>`.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets by _install_docs
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    _install_docs(app)
    if runtime is not None:
        app.state.runtime = runtime
    active = runtime.settings if runtime is not None else (settings or get_settings())
    app.max_body_bytes = active.api_max_body_bytes
    # Rate-limit counters of failed credentials; a bad storage URI fails here, at start.
    app.state.auth_guard = AuthGuard.from_settings(active)
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
        approvals,
        dashboard,
        expressions,
        runs,
        webhook_tests,
        system,
        ai,
        ai_assistant,
        chat,
    ):
        app.include_router(module.router, prefix="/api")
    app.include_router(workflows.node_types_router, prefix="/api")
    app.include_router(integration_types.plugins_router, prefix="/api")
    app.include_router(integrations.oauth2_router, prefix="/api")
    app.include_router(approvals.link_router)
    app.include_router(chat.page_router)
    # Webhooks first: the hot path should not be matched against every API route.
    app.router.routes[:0] = webhooks.routes
    app.fast_routes = [
        r
        for r in webhooks.routes
        if isinstance(r, Route) and inspect.iscoroutinefunction(r.endpoint)
    ]

    ui.install(app, active.ui_dir)
    return app

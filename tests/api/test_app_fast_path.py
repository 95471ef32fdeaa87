"""The webhook short path of the app (WireworkAPI): it answers like the full FastAPI stack,
errors included, and steps aside for anything it does not fully match."""

from __future__ import annotations

import httpx
import structlog
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wirework.api import errors
from wirework.api.app import WireworkAPI
from wirework.logging import configure as configure_logging
from wirework.services.errors import NotFound


async def echo(request: Request) -> Response:
    return JSONResponse({"path": request.path_params["path"], "app": request.app is not None})


async def boom(request: Request) -> Response:
    raise RuntimeError("a bug")


async def missing(request: Request) -> Response:
    raise NotFound("no such thing")


def make_app() -> WireworkAPI:
    if not structlog.is_configured():
        configure_logging("warning")  # as create_app does: never the default renderer
    app = WireworkAPI()
    errors.install(app)
    routes = [
        Route("/webhook-test/boom", boom, methods=["POST"]),
        Route("/webhook-test/missing", missing, methods=["POST"]),
        Route("/webhook/{path:path}", echo, methods=["POST"]),
    ]
    app.router.routes[:0] = routes
    app.fast_routes = routes
    return app


def client(app: WireworkAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_a_full_match_skips_the_middleware_stack() -> None:
    app = make_app()
    async with client(app) as c:
        resp = await c.post("/webhook/a/b")
    assert resp.status_code == 200 and resp.json() == {"path": "a/b", "app": True}
    assert app.middleware_stack is None  # the full stack was never needed, so never built


async def test_errors_are_answered_by_the_apps_handlers() -> None:
    app = make_app()
    async with client(app) as c:
        resp = await c.post("/webhook-test/missing")
        assert resp.status_code == 404
        assert resp.json() == {"detail": "no such thing", "code": "not_found", "errors": []}
        resp = await c.post("/webhook-test/boom")
        assert resp.status_code == 500 and resp.json()["code"] == "internal_error"
        assert "a bug" not in resp.text
    assert app.middleware_stack is None


async def test_other_methods_and_paths_take_the_full_stack() -> None:
    app = make_app()
    async with client(app) as c:
        resp = await c.get("/webhook/a")
        assert resp.status_code == 405 and resp.json()["code"] == "method_not_allowed"
        resp = await c.post("/webhooks/a")
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"


async def test_added_middleware_turns_the_short_path_off() -> None:
    app = make_app()
    app.add_middleware(GZipMiddleware, minimum_size=1)
    async with client(app) as c:
        resp = await c.post("/webhook/a", headers={"accept-encoding": "gzip"})
    assert resp.status_code == 200 and resp.headers["content-encoding"] == "gzip"
    assert resp.json() == {"path": "a", "app": True}

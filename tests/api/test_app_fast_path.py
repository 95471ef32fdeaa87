"""The webhook short path of the app (WireworkAPI): it answers like the full FastAPI stack,
errors included, and steps aside for anything it does not fully match."""

from __future__ import annotations

import httpx
import structlog
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wirework.api import errors
from wirework.api.app import WireworkAPI
from wirework.errors import NotFound
from wirework.logging import configure as configure_logging


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
    assert app.fast_path_calls == 1


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


async def test_app_middleware_does_not_turn_the_short_path_off() -> None:
    app = make_app()
    app.add_middleware(CORSMiddleware, allow_origins=["https://ui.example"], allow_methods=["*"])
    app.add_middleware(GZipMiddleware, minimum_size=1)

    @app.get("/api/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    origin = {"origin": "https://ui.example", "accept-encoding": "gzip"}
    async with client(app) as c:
        resp = await c.post("/webhook/a", headers=origin)
        assert resp.status_code == 200 and resp.json() == {"path": "a", "app": True}
        assert app.fast_path_calls == 1
        assert app.middleware_stack is None  # the full stack was never built
        # App middleware is for the UI and the API, not for webhooks ...
        assert "access-control-allow-origin" not in resp.headers
        assert "content-encoding" not in resp.headers
        # ... where it applies as usual.
        api = await c.get("/api/ping", headers=origin)
        assert api.json() == {"pong": "yes"}
        assert api.headers["access-control-allow-origin"] == "https://ui.example"
        assert api.headers["content-encoding"] == "gzip"
        resp = await c.post("/webhook/b", headers=origin)
        assert resp.status_code == 200 and app.fast_path_calls == 2
        # Not even for what the router answers on webhook paths (a preflight is a 405).
        pre = await c.options(
            "/webhook/a",
            headers={"origin": "https://ui.example", "access-control-request-method": "POST"},
        )
        assert pre.status_code == 405 and pre.json()["code"] == "method_not_allowed"
        assert "access-control-allow-origin" not in pre.headers


async def test_webhook_middleware_wraps_the_short_path() -> None:
    app = make_app()
    app.add_middleware(GZipMiddleware, minimum_size=1)
    app.add_webhook_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["POST"])
    async with client(app) as c:
        resp = await c.post("/webhook/a", headers={"origin": "https://caller.example"})
        assert resp.status_code == 200 and resp.json() == {"path": "a", "app": True}
        assert resp.headers["access-control-allow-origin"] == "*"
        assert app.fast_path_calls == 1 and app.middleware_stack is None
        # A CORS preflight is answered by the webhook middleware itself.
        pre = await c.options(
            "/webhook/a",
            headers={
                "origin": "https://caller.example",
                "access-control-request-method": "POST",
            },
        )
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*"
        assert app.fast_path_calls == 1
        # Errors on the short path are still answered by the app's handlers.
        resp = await c.post("/webhook-test/missing", headers={"origin": "https://x.example"})
        assert resp.status_code == 404 and resp.json()["code"] == "not_found"
        assert resp.headers["access-control-allow-origin"] == "*"
    try:
        app.add_webhook_middleware(GZipMiddleware)
    except RuntimeError:
        pass
    else:
        raise AssertionError("webhook middleware added after start")


async def test_api_bodies_over_the_limit_are_refused_before_parsing() -> None:
    app = make_app()
    app.max_body_bytes = 1024

    @app.post("/api/echo")
    async def api_echo(request: Request) -> Response:
        return JSONResponse({"size": len(await request.body())})

    async def chunks(n: int, size: int = 100):  # type: ignore[no-untyped-def]
        for _ in range(n):
            yield b"x" * size

    async with client(app) as c:
        ok = await c.post("/api/echo", content=b"x" * 1024)
        assert ok.status_code == 200 and ok.json() == {"size": 1024}
        big = await c.post("/api/echo", content=b"x" * 1025)
        assert big.status_code == 413
        assert big.json() == {
            "detail": "request body larger than 1024 bytes",
            "code": "body_too_large",
            "errors": [],
        }
        # chunked (no Content-Length): read up to the limit, then replayed or refused
        ok = await c.post("/api/echo", content=chunks(10))
        assert ok.status_code == 200 and ok.json() == {"size": 1000}
        big = await c.post("/api/echo", content=chunks(11))
        assert big.status_code == 413 and big.json()["code"] == "body_too_large"
        bad = await c.post("/api/echo", content=b"{}", headers={"content-length": "x2"})
        assert bad.status_code == 400 and bad.json()["code"] == "bad_request"
        # webhooks keep their own limit (WIREWORK_WEBHOOK_MAX_BODY_BYTES)
        hook = await c.post("/webhook/a", content=b"x" * 5000)
        assert hook.status_code == 200


async def test_the_api_limit_comes_from_the_settings(client: httpx.AsyncClient) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    assert app.max_body_bytes == 64 * 1024 * 1024
    resp = await client.post(
        "/api/workflows", content=b"x", headers={"content-length": str(65 * 1024 * 1024)}
    )
    assert resp.status_code == 413 and resp.json()["code"] == "body_too_large"

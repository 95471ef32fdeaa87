"""The FastAPI application: API under /api, webhooks, OpenAPI at /docs, the UI at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI
from fastapi.responses import FileResponse

from wirework import __version__
from wirework.api import errors
from wirework.api.routes import (
    api_keys,
    auth,
    executions,
    health,
    integration_types,
    integrations,
    runs,
    setup,
    users,
    webhooks,
    workflows,
)
from wirework.logging import configure as configure_logging
from wirework.services.engine import ensure_engine
from wirework.services.runtime import Runtime, open_runtime
from wirework.settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
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

    app = FastAPI(
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
    if not structlog.is_configured():
        # Never structlog's default renderer: its tracebacks print local variables.
        active = runtime.settings if runtime is not None else (settings or get_settings())
        configure_logging(active.log_level, active.log_format)
    errors.install(app)
    for module in (
        health,
        setup,
        auth,
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

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app

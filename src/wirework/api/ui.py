"""The web UI at ``/``: the single-page app built from ``web/`` into ``wirework/web_dist``.

- ``/assets/…``: hashed, immutable files, cached for a year.
- any other GET/HEAD the API does not answer (``/``, ``/workflows/3``, …): ``index.html``,
  never cached, so a deploy shows at once; files at the top of the build (``favicon.svg``)
  are served as they are.
- ``/api``, ``/docs``, ``/redoc``, ``/openapi.json`` and ``/webhook…`` never fall back: an
  unknown path there stays the API's JSON 404.
- without a build, a page says how to make one.

It hooks in as the router's *default* (what runs when no route matches), so it never turns
an API 404 or 405 into something else."""

from __future__ import annotations

from pathlib import Path

import anyio
from fastapi import FastAPI
from starlette.responses import FileResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

PACKAGED_DIST = Path(__file__).resolve().parent.parent / "web_dist"
NOT_BUILT_PAGE = Path(__file__).parent / "static" / "index.html"
RESERVED_PREFIXES = ("/api", "/docs", "/redoc", "/openapi.json")
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
# The UI loads only its own files and talks only to this server.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": NO_CACHE,
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def is_reserved(path: str) -> bool:
    """Paths that belong to the API, its documentation or webhooks: never the UI."""
    if path.startswith("/webhook"):
        return True
    return any(path == p or path.startswith(p + "/") for p in RESERVED_PREFIXES)


class _Assets(StaticFiles):
    """Hashed build assets: a name changes whenever the content does, so cache forever."""

    async def check_config(self) -> None:
        """No build yet (or it was removed): every asset is a 404, not an error."""
        if self.directory is not None and await anyio.Path(self.directory).is_dir():
            await super().check_config()

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class _Fallback:
    """The router's default: the UI's page for browser paths, the usual 404 otherwise."""

    def __init__(self, dist: Path, not_found: ASGIApp) -> None:
        self.dist = dist
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or is_reserved(path)
            or path.startswith("/assets/")
        ):
            await self.not_found(scope, receive, send)
            return
        response = self._page(path)
        await response(scope, receive, send)

    def _page(self, path: str) -> Response:
        index = self.dist / "index.html"
        if not index.is_file():
            return FileResponse(NOT_BUILT_PAGE, headers=PAGE_HEADERS, media_type="text/html")
        top_file = self._top_level_file(path)
        if top_file is not None:
            return FileResponse(top_file, headers={"Cache-Control": NO_CACHE})
        return FileResponse(index, headers=PAGE_HEADERS, media_type="text/html")

    def _top_level_file(self, path: str) -> Path | None:
        name = path.lstrip("/")
        if not name or "/" in name or "\\" in name or name.startswith(".") or name == "index.html":
            return None
        candidate = self.dist / name
        return candidate if candidate.is_file() else None


def framed_page(dist: Path, frame_ancestors: list[str]) -> Response:
    """The UI's page (``index.html``) that the given origins (and this server) may show in
    a frame: the hosted chat page, which the chat widget embeds."""
    sources = " ".join(["'self'", *frame_ancestors])
    csp = CSP.replace("frame-ancestors 'none'", f"frame-ancestors {sources}")
    index = dist / "index.html"
    if not index.is_file():
        index = NOT_BUILT_PAGE
    return FileResponse(
        index, headers={**PAGE_HEADERS, "Content-Security-Policy": csp}, media_type="text/html"
    )


def install(app: FastAPI, dist: Path | None = None) -> None:
    """Serve the UI built into ``dist`` (default: the packaged build) at ``/``."""
    root = (dist or PACKAGED_DIST).resolve()
    app.state.ui_dist = root
    assets = _Assets(directory=root / "assets", check_dir=False)
    app.router.routes.append(Mount("/assets", app=assets, name="ui-assets"))
    app.router.default = _Fallback(root, app.router.default)

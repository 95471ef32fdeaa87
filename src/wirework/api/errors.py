"""Every error becomes a JSON body {detail, code, errors}: 4xx naming the field, never a
traceback. Unexpected exceptions are logged (without request data) and answered with a
generic 500."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from wirework.errors import InvalidInput, ServiceError, TooManyRequests
from wirework.schemas.document import loc_to_field
from wirework.services.engine import StoreUnavailable
from wirework.services.vault import redact_known

log = structlog.get_logger("wirework.api")


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        # Drop pydantic's internal step names (function-after[...], union members).
        loc = [
            p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function")))
        ]
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        elif err.get("type") == "missing":
            message = "is required"
        out.append({"field": loc_to_field(loc) or "body", "message": message})
    return out


def error_body(
    detail: str, code: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The error body; any form of a secret the vault has seen is redacted from it."""
    return {
        "detail": redact_known(detail),
        "code": code,
        "errors": redact_known(errors) if errors else [],
    }


def install(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_: Request, exc: ServiceError) -> JSONResponse:
        errors = [e.as_dict() for e in exc.errors] if isinstance(exc, InvalidInput) else []
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(
            error_body(exc.message, exc.code, errors), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        detail = f"{first['field']}: {first['message']}{more}"
        return JSONResponse(error_body(detail, "validation_error", errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        return JSONResponse(
            error_body(detail, code), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        # The writer logged why; the caller learns its execution was not (fully) recorded.
        log.error("execution store unavailable", path=request.url.path, reason=str(exc))
        return JSONResponse(
            error_body(
                "the execution could not be recorded; try again later", StoreUnavailable.code
            ),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if getattr(exc.orig, "sqlstate", None) == "22021":  # PostgreSQL: NUL in text
            return JSONResponse(
                error_body(
                    "a text value contains a NUL character (\\u0000), which is not allowed",
                    "validation_error",
                ),
                status_code=422,
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error",
            path=request.url.path,
            method=request.method,
            error_type=type(exc).__name__,
            exc_info=exc,
        )
        return JSONResponse(
            error_body("internal error; the server log has details", "internal_error"),
            status_code=500,
        )

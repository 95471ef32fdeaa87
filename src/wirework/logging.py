"""Structured logging (structlog over the standard library), with secrets redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from wirework.vault.masking import redact


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Secret-looking keys masked, and every form of a secret the vault has seen redacted
    from every string (the message, fields, the formatted traceback)."""
    return redact(event)  # type: ignore[no-any-return]


def configure(level: str = "info", fmt: str = "console") -> None:
    """Configure structlog and the stdlib root logger (uvicorn, sqlalchemy) alike."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # Tracebacks become text before redaction (plain ones: rich's would print local
        # variables), so an exception's message is redacted like any other string.
        structlog.processors.format_exc_info,
        _redact,
    ]
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Drivers log statements with their parameters (password hashes, encrypted secrets) at
    # debug level, and HTTP clients log request URLs (a bot token in Telegram's path, a SAS
    # signature in an Azure URL) at info level: never let them.
    for name in (
        *("aiosqlite", "asyncpg", "aiomysql", "sqlalchemy.engine"),
        *("httpx", "httpcore", "botocore", "boto3", "urllib3", "azure", "aiosmtplib"),
    ):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True

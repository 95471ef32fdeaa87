"""Errors services raise; the API maps them to 4xx responses, the CLI to messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    """One problem with one field. ``field`` is a dotted path, e.g. ``nodes[2].params.url``."""

    field: str
    message: str
    node_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.node_id is not None:
            out["node_id"] = self.node_id
        return out


class ServiceError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class BadGateway(ServiceError):
    """A service we called (a model provider) failed or answered something unusable."""

    status_code = 502
    code = "upstream_error"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(ServiceError):
    """Too many failed attempts; ``retry_after`` seconds until the next one is taken."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class InvalidInput(ServiceError):
    """Input that fails validation; every problem names its field."""

    errors: list[FieldError] = field(default_factory=list)
    status_code = 422
    code = "validation_error"

    def __post_init__(self) -> None:
        first = self.errors[0] if self.errors else FieldError("", "invalid input")
        where = f"node {first.node_id!r}: " if first.node_id else ""
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        message = f"{where}{first.field}: {first.message}{more}" if first.field else first.message
        ServiceError.__init__(self, message)

    @classmethod
    def one(cls, field_: str, message: str, node_id: str | None = None) -> InvalidInput:
        return cls([FieldError(field_, message, node_id)])

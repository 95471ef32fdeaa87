"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are an error that names them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldErrorOut(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. nodes[1].params.url")
    message: str
    node_id: str | None = Field(default=None, description="The workflow node concerned, if any")


class ErrorOut(BaseModel):
    """The body of every error response."""

    detail: str = Field(description="One line saying what is wrong (naming the field)")
    code: str = Field(description="Stable machine-readable code, e.g. not_found, conflict")
    errors: list[FieldErrorOut] = Field(default_factory=list)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class CursorPage(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page"
    )

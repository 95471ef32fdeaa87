"""Users, login, API keys, first-run set-up."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, EmailStr, Field, field_validator

from wirework.schemas.common import RequestModel, ResponseModel

Role = Literal["owner", "admin", "editor", "viewer"]


def _normalise_email(value: str) -> str:
    return value.strip().lower()


class Credentials(RequestModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1024)

    _email = field_validator("email")(_normalise_email)


class SetupRequest(RequestModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=1024, description="At least 8 characters")
    name: str = Field(default="", max_length=200)

    _email = field_validator("email")(_normalise_email)


class UserCreate(SetupRequest):
    role: Role = "editor"


class UserUpdate(RequestModel):
    name: str | None = Field(default=None, max_length=200, description="Display name")
    password: str | None = Field(
        default=None, min_length=8, max_length=1024, description="A new password (8+ chars)"
    )
    current_password: str | None = Field(
        default=None,
        max_length=1024,
        description="Your current password: required to change your own password",
    )
    role: Role | None = Field(
        default=None,
        description="Owners grant any role; admins move users between editor and viewer",
    )
    is_active: bool | None = Field(default=None, description="False deactivates the user")


class UserOut(ResponseModel):
    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: dt.datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name
    expires_in: int = Field(description="Seconds until the token expires")


class SetupStatus(BaseModel):
    needs_setup: bool = Field(description="True while no user exists")


class SetupOut(TokenOut):
    user: UserOut


class ApiKeyCreate(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyOut(ResponseModel):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    user_id: int
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, store it now")

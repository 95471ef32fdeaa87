"""Web UI sessions (cookies)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wirework.schemas.users import UserOut


class SessionOut(BaseModel):
    user: UserOut
    expires_in: int = Field(description="Seconds until the session expires")


class SessionStatus(BaseModel):
    user: UserOut | None = Field(description="The logged-in user; null without a valid session")

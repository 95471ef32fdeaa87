"""Web UI sessions (cookies)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wirework.schemas.users import UserOut


class SessionOut(BaseModel):
    user: UserOut
    expires_in: int = Field(description="Seconds until the session expires")

"""Browser sessions: a signed session token (kept by the browser in an HttpOnly cookie) bound
to a CSRF token (double-submit). Nothing here knows HTTP; ``api/session.py`` sets and reads
the cookies."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.base import utcnow
from wirework.db.models import User
from wirework.errors import Forbidden, Unauthorized

SESSION_TYPE = "session"


class CsrfFailed(Forbidden):
    code = "csrf_failed"


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    ttl_s: int


def _csrf_digest(csrf_token: str) -> str:
    return hashlib.sha256(csrf_token.encode("utf-8")).hexdigest()


def create_session(user: User, signing_key: str, ttl_s: int) -> NewSession:
    """A session token for ``user`` and the CSRF token it is bound to. The session token
    carries only the CSRF token's hash, so the two cookies cannot be mixed across sessions."""
    csrf_token = secrets.token_urlsafe(32)
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "tv": user.token_version,
        "typ": SESSION_TYPE,
        "csrf": _csrf_digest(csrf_token),
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(seconds=ttl_s)).timestamp()),
    }
    return NewSession(jwt.encode(claims, signing_key, algorithm="HS256"), csrf_token, ttl_s)


def check_csrf(token: str, signing_key: str, cookie: str | None, header: str | None) -> None:
    """Refuse (403 ``csrf_failed``) unless the header repeats the CSRF cookie and both belong
    to the session ``token``. Call it for unsafe methods only, after ``authenticate``."""
    if not cookie or not header:
        raise CsrfFailed("missing X-CSRF-Token header (copy the wirework_csrf cookie)")
    if not hmac.compare_digest(cookie.encode("utf-8"), header.encode("utf-8")):
        raise CsrfFailed("X-CSRF-Token does not match the wirework_csrf cookie")
    claims = _decode(token, signing_key)
    if not hmac.compare_digest(str(claims.get("csrf", "")), _csrf_digest(header)):
        raise CsrfFailed("the CSRF token belongs to another session; log in again")


def _decode(token: str, signing_key: str) -> dict[str, object]:
    try:
        claims: dict[str, object] = jwt.decode(
            token,
            signing_key,
            algorithms=["HS256"],
            options={"require": ["exp", "sub", "tv", "csrf"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("session expired; log in again") from None
    except jwt.PyJWTError:
        raise Unauthorized("invalid session; log in again") from None
    if claims.get("typ") != SESSION_TYPE:
        raise Unauthorized("invalid session; log in again")
    return claims


async def authenticate(session: AsyncSession, token: str, signing_key: str) -> User:
    """The active user a session token belongs to. Changing the user's password or
    deactivating them (which bumps ``token_version``) ends their sessions."""
    claims = _decode(token, signing_key)
    try:
        user = await session.get(User, int(str(claims["sub"])))
    except (TypeError, ValueError):
        raise Unauthorized("invalid session; log in again") from None
    if user is None or not user.is_active:
        raise Unauthorized("the user of this session does not exist or is deactivated")
    if user.token_version != claims["tv"]:
        raise Unauthorized("session revoked; log in again")
    return user

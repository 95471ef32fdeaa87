"""Browser sessions over HTTP: the cookies the web UI logs in with.

- ``wirework_session``: the signed session token; HttpOnly (scripts never see it),
  SameSite=Lax, Path=/api, Secure when the request came over HTTPS.
- ``wirework_csrf``: a random token bound to the session, readable by the UI, which repeats
  it as ``X-CSRF-Token`` on every unsafe request (double-submit). A cookie-authenticated
  POST/PUT/PATCH/DELETE without the matching header is a 403 ``csrf_failed``.

A request with an ``Authorization`` header never looks at these cookies (no CSRF either)."""

from __future__ import annotations

import ipaddress

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.services import sessions
from wirework.services.auth import User
from wirework.services.runtime import Runtime
from wirework.settings import Settings

SESSION_COOKIE = "wirework_session"
CSRF_COOKIE = "wirework_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_PATH = "/api"


def _trusted(host: str | None, trusted: str) -> bool:
    if not host or not trusted.strip():
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for entry in trusted.split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def is_https(request: Request, settings: Settings) -> bool:
    """Whether the browser talked HTTPS: directly, or through a trusted reverse proxy that
    says so in X-Forwarded-Proto (the first hop's value)."""
    if request.url.scheme == "https":
        return True
    client = request.client.host if request.client else None
    if _trusted(client, settings.trusted_proxies):
        proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        return proto == "https"
    return False


def set_cookies(
    response: Response, request: Request, settings: Settings, new: sessions.NewSession
) -> None:
    secure = is_https(request, settings)
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=new.ttl_s,
        path=SESSION_PATH,
        httponly=True,
        secure=secure,
        samesite="lax",
    )
    response.set_cookie(
        CSRF_COOKIE,
        new.csrf_token,
        max_age=new.ttl_s,
        path="/",
        httponly=False,
        secure=secure,
        samesite="lax",
    )


def clear_cookies(response: Response, request: Request, settings: Settings) -> None:
    secure = is_https(request, settings)
    response.delete_cookie(
        SESSION_COOKIE, path=SESSION_PATH, httponly=True, secure=secure, samesite="lax"
    )
    response.delete_cookie(CSRF_COOKIE, path="/", secure=secure, samesite="lax")


async def cookie_user(request: Request, session: AsyncSession, runtime: Runtime) -> User | None:
    """The user of the request's session cookie, or None without one. Unsafe methods must
    carry the CSRF header (checked after the session, so an expired session is a 401)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = await sessions.authenticate(session, token, runtime.signing_key)
    if request.method.upper() not in SAFE_METHODS:
        sessions.check_csrf(
            token,
            runtime.signing_key,
            request.cookies.get(CSRF_COOKIE),
            request.headers.get(CSRF_HEADER),
        )
    return user

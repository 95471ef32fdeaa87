"""Request dependencies: the runtime, one transaction per request, the current user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.api import session as browser_session
from wirework.errors import Conflict, Forbidden, Unauthorized
from wirework.services import auth
from wirework.services.auth import User
from wirework.services.engine import EngineHost, ensure_engine
from wirework.services.ratelimit import AuthGuard
from wirework.services.runtime import Runtime, Vault


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

# An id in a URL path: ids are 32-bit integers on every backend, so a larger number is a 422
# naming the parameter (not an overflow in the database driver, which would be a 500).
DbId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent; any error rolls
    the whole request back (no half-written rows)."""
    async with runtime.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except IntegrityError:
            await session.rollback()
            raise Conflict("the change conflicts with existing data") from None
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_vault(runtime: RuntimeDep) -> Vault:
    return runtime.vault


VaultDep = Annotated[Vault, Depends(get_vault)]


async def get_guard(request: Request, runtime: RuntimeDep) -> AuthGuard:
    """The app's rate-limit counters (made on first use if the app did not make them)."""
    guard: AuthGuard | None = getattr(request.app.state, "auth_guard", None)
    if guard is None:
        guard = request.app.state.auth_guard = AuthGuard.from_settings(runtime.settings)
    return guard


GuardDep = Annotated[AuthGuard, Depends(get_guard)]


async def get_client(request: Request) -> str:
    """The caller's address, the key of per-client rate limits. Behind a reverse proxy, let
    the server trust its X-Forwarded-For (uvicorn --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


ClientDep = Annotated[str, Depends(get_client)]

bearer = HTTPBearer(
    auto_error=False,
    description="A login token from POST /api/auth/login, or an API key (ww_…)",
)


async def current_user(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    guard: GuardDep,
    client: ClientDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    # --- web UI session hook (api/session.py): without an Authorization header, the session
    # cookie authenticates, CSRF-checked on unsafe methods. Bearer requests skip this.
    if credentials is None and (
        user := await browser_session.cookie_user(request, session, runtime)
    ):
        await session.commit()
        return user
    # --- end of the web UI session hook
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("missing Authorization: Bearer <token or API key>")
    user = await auth.authenticate_guarded(
        session, guard, credentials.credentials, runtime.signing_key, client
    )
    # Authentication is its own short transaction: on SQLite an open one would hold the
    # write lock for the whole request (e.g. while `?wait=true` waits for the engine).
    await session.commit()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: str):  # type: ignore[no-untyped-def]
    async def _check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")
        return user

    return Depends(_check)


# Who may change things (viewers only read). Finer roles and projects come later.
CanEdit = require_role("owner", "admin", "editor")


async def get_engine(runtime: RuntimeDep) -> EngineHost:
    return await ensure_engine(runtime)


EngineDep = Annotated[EngineHost, Depends(get_engine)]

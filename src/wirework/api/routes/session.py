"""Web UI log-in: a session in cookies instead of a bearer token (see ``api/session.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from wirework.api import session as browser
from wirework.api.deps import ClientDep, CurrentUser, GuardDep, RuntimeDep, SessionDep
from wirework.errors import ServiceError
from wirework.schemas.sessions import SessionOut, SessionStatus
from wirework.schemas.users import Credentials, UserOut
from wirework.services import auth, sessions

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/session",
    response_model=SessionOut,
    summary="Log in the web UI: sets the session and CSRF cookies",
    description="Sets `wirework_session` (HttpOnly) and `wirework_csrf`; send the latter's "
    "value as `X-CSRF-Token` on POST/PUT/PATCH/DELETE. Scripts use POST /api/auth/login.",
    responses={
        401: {"description": "Wrong e-mail or password"},
        429: {"description": "Too many failed attempts for the account or from this address"},
    },
)
async def create_session(
    data: Credentials,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    guard: GuardDep,
    client: ClientDep,
) -> SessionOut:
    user = await auth.login_guarded(session, guard, data.email, data.password, client)
    new = sessions.create_session(user, runtime.signing_key, runtime.settings.session_ttl_s)
    browser.set_cookies(response, request, runtime.settings, new)
    return SessionOut(user=UserOut.model_validate(user), expires_in=new.ttl_s)


@router.get(
    "/session",
    response_model=SessionStatus,
    summary="Whether the browser has a valid session, and whose",
    description="Never a 401 (the web UI asks before it knows): `user` is null without a "
    "valid session, and the cookies of an expired or revoked one are cleared.",
)
async def session_status(
    request: Request, response: Response, session: SessionDep, runtime: RuntimeDep
) -> SessionStatus:
    token = request.cookies.get(browser.SESSION_COOKIE)
    if not token:
        return SessionStatus(user=None)
    try:
        user = await sessions.authenticate(session, token, runtime.signing_key)
    except ServiceError:
        browser.clear_cookies(response, request, runtime.settings)
        return SessionStatus(user=None)
    return SessionStatus(user=UserOut.model_validate(user))


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out the web UI: clears the session cookies",
)
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    browser.clear_cookies(response, request, runtime.settings)
    return response


@router.get("/me", response_model=UserOut, summary="The logged-in user (session or token)")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)

from __future__ import annotations

from fastapi import APIRouter

from wirework.api.deps import ClientDep, GuardDep, RuntimeDep, SessionDep
from wirework.schemas.users import Credentials, TokenOut
from wirework.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Exchange e-mail and password for a bearer token",
    responses={
        401: {"description": "Wrong e-mail or password"},
        429: {"description": "Too many failed attempts for the account or from this address"},
    },
)
async def login(
    data: Credentials,
    session: SessionDep,
    runtime: RuntimeDep,
    guard: GuardDep,
    client: ClientDep,
) -> TokenOut:
    user = await auth.login_guarded(session, guard, data.email, data.password, client)
    token, ttl = auth.create_access_token(
        user, runtime.signing_key, runtime.settings.access_token_ttl_s
    )
    return TokenOut(access_token=token, expires_in=ttl)

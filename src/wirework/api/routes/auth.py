from __future__ import annotations

from fastapi import APIRouter

from wirework.api.deps import RuntimeDep, SessionDep
from wirework.schemas.users import Credentials, TokenOut
from wirework.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=TokenOut,
    summary="Exchange e-mail and password for a bearer token",
    responses={401: {"description": "Wrong e-mail or password"}},
)
async def login(data: Credentials, session: SessionDep, runtime: RuntimeDep) -> TokenOut:
    user = await auth.login(session, data.email, data.password)
    token, ttl = auth.create_access_token(
        user, runtime.signing_key, runtime.settings.access_token_ttl_s
    )
    return TokenOut(access_token=token, expires_in=ttl)

from __future__ import annotations

from fastapi import APIRouter, status

from wirework.api.deps import ClientDep, GuardDep, RuntimeDep, SessionDep
from wirework.schemas.users import SetupOut, SetupRequest, SetupStatus, UserCreate, UserOut
from wirework.services import auth, users

router = APIRouter(prefix="/setup", tags=["auth"])


@router.get("", response_model=SetupStatus, summary="Whether first-run set-up is needed")
async def setup_status(session: SessionDep) -> SetupStatus:
    return SetupStatus(needs_setup=await users.count(session) == 0)


@router.post(
    "",
    response_model=SetupOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create the owner (only while no user exists)",
    responses={
        409: {"description": "A user already exists"},
        429: {"description": "Too many set-up attempts after set-up from this address"},
    },
)
async def setup(
    data: SetupRequest, session: SessionDep, runtime: RuntimeDep, guard: GuardDep, client: ClientDep
) -> SetupOut:
    user = await users.setup_owner_guarded(
        session, guard, UserCreate(**data.model_dump(), role="owner"), client
    )
    token, ttl = auth.create_access_token(
        user, runtime.signing_key, runtime.settings.access_token_ttl_s
    )
    return SetupOut(access_token=token, expires_in=ttl, user=UserOut.model_validate(user))

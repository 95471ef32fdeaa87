from __future__ import annotations

from fastapi import APIRouter, status

from wirework.api.deps import ClientDep, CurrentUser, DbId, GuardDep, SessionDep, require_role
from wirework.schemas.users import UserCreate, UserOut, UserUpdate
from wirework.services import users

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserOut, summary="The user the token belongs to")
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("", response_model=list[UserOut], dependencies=[require_role("owner", "admin")])
async def list_users(session: SessionDep) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await users.list_all(session)]


@router.post(
    "",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[require_role("owner", "admin")],
)
async def create_user(data: UserCreate, session: SessionDep, user: CurrentUser) -> UserOut:
    return UserOut.model_validate(await users.create(session, data, actor=user))


@router.get("/{user_id}", response_model=UserOut, dependencies=[require_role("owner", "admin")])
async def get_user(user_id: DbId, session: SessionDep) -> UserOut:
    return UserOut.model_validate(await users.get(session, user_id))


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    summary="Change a user: yourself (a new password needs current_password), or a user "
    "your role manages",
    responses={429: {"description": "Too many wrong current passwords"}},
)
async def update_user(
    user_id: DbId,
    data: UserUpdate,
    session: SessionDep,
    user: CurrentUser,
    guard: GuardDep,
    client: ClientDep,
) -> UserOut:
    updated = await users.update(session, user, user_id, data, guard=guard, client=client)
    return UserOut.model_validate(updated)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: DbId, session: SessionDep, user: CurrentUser) -> None:
    await users.delete(session, user, user_id)

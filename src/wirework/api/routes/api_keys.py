from __future__ import annotations

from fastapi import APIRouter, status

from wirework.api.deps import CurrentUser, DbId, SessionDep
from wirework.schemas.users import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from wirework.services import users

router = APIRouter(prefix="/api-keys", tags=["api keys"])


@router.get("", response_model=list[ApiKeyOut], summary="Your API keys (never the keys)")
async def list_keys(session: SessionDep, user: CurrentUser) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in await users.list_api_keys(session, user)]


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key; the key is in this response only",
)
async def create_key(data: ApiKeyCreate, session: SessionDep, user: CurrentUser) -> ApiKeyCreated:
    row, key = await users.create_api_key(session, user, data)
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_key(key_id: DbId, session: SessionDep, user: CurrentUser) -> None:
    await users.delete_api_key(session, user, key_id)

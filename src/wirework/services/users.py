"""Users and API keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.base import utcnow
from wirework.db.models import ApiKey, SystemSetting, User
from wirework.schemas.users import ApiKeyCreate, UserCreate, UserUpdate
from wirework.services.auth import hash_api_key, hash_password, new_api_key
from wirework.services.errors import Conflict, Forbidden, NotFound

SETUP_DONE = "setup.owner_created"


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def get(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def list_all(session: AsyncSession) -> list[User]:
    return list((await session.scalars(select(User).order_by(User.id))).all())


async def create(session: AsyncSession, data: UserCreate) -> User:
    if await get_by_email(session, data.email) is not None:
        raise Conflict(f"email: a user with e-mail {data.email!r} already exists")
    user = User(
        email=data.email,
        name=data.name,
        role=data.role,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"email: a user with e-mail {data.email!r} already exists") from None
    return user


async def setup_owner(session: AsyncSession, data: UserCreate) -> User:
    """Create the first user (an owner); only while no user exists."""
    if await count(session) > 0:
        raise Conflict("set-up is done: a user already exists; log in instead")
    # The marker row's primary key makes two concurrent set-ups collide: one wins.
    session.add(SystemSetting(name=SETUP_DONE, value="1"))
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("set-up is done: a user already exists; log in instead") from None
    return await create(session, data.model_copy(update={"role": "owner"}))


async def update(session: AsyncSession, actor: User, user_id: int, data: UserUpdate) -> User:
    user = await get(session, user_id)
    is_self = actor.id == user.id
    if not is_self and actor.role not in ("owner", "admin"):
        raise Forbidden("only an owner or admin can change other users")
    if not is_self and user.role == "owner" and actor.role != "owner":
        raise Forbidden("only an owner can change another owner")
    if data.role is not None and data.role != user.role:
        if actor.role != "owner":
            raise Forbidden("role: only an owner can change roles")
        if user.role == "owner" and await _owners(session) <= 1:
            raise Conflict("role: the last owner cannot be demoted")
        user.role = data.role
    if data.is_active is not None and data.is_active != user.is_active:
        if is_self:
            raise Conflict("is_active: you cannot deactivate yourself")
        if actor.role not in ("owner", "admin"):
            raise Forbidden("is_active: only an owner or admin can (de)activate users")
        user.is_active = data.is_active
        user.token_version += 1
    if data.name is not None:
        user.name = data.name
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        user.token_version += 1
    await session.flush()
    return user


async def _owners(session: AsyncSession) -> int:
    query = select(func.count()).select_from(User).where(User.role == "owner", User.is_active)
    return int(await session.scalar(query) or 0)


async def delete(session: AsyncSession, actor: User, user_id: int) -> None:
    if actor.role not in ("owner", "admin"):
        raise Forbidden("only an owner or admin can delete users")
    user = await get(session, user_id)
    if user.id == actor.id:
        raise Conflict("you cannot delete yourself")
    if user.role == "owner" and actor.role != "owner":
        raise Forbidden("only an owner can delete an owner")
    await session.delete(user)
    await session.flush()


async def create_api_key(
    session: AsyncSession, user: User, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    """Create a key; the clear key is returned once and only its hash is stored."""
    key = new_api_key()
    expires = utcnow() + dt.timedelta(days=data.expires_in_days) if data.expires_in_days else None
    row = ApiKey(
        user_id=user.id,
        name=data.name,
        prefix=key[:10],
        key_hash=hash_api_key(key),
        expires_at=expires,
    )
    session.add(row)
    await session.flush()
    return row, key


async def list_api_keys(session: AsyncSession, user: User) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.user_id == user.id).order_by(ApiKey.id)
    return list((await session.scalars(query)).all())


async def delete_api_key(session: AsyncSession, user: User, key_id: int) -> None:
    row = await session.get(ApiKey, key_id)
    if row is None or (row.user_id != user.id and user.role not in ("owner", "admin")):
        raise NotFound(f"API key {key_id} not found")
    await session.delete(row)
    await session.flush()

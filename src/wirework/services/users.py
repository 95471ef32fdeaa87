"""Users and API keys."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.base import utcnow
from wirework.db.models import ApiKey, SystemSetting, User
from wirework.errors import Conflict, Forbidden, NotFound
from wirework.schemas.users import ApiKeyCreate, UserCreate, UserUpdate
from wirework.services.auth import confirm_password, hash_api_key, hash_password, new_api_key
from wirework.services.ratelimit import AuthGuard, Counter

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


class UserRole(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


# Who manages whose account and credentials (password, API keys, role, activation, deletion):
# owners manage everyone, admins manage editors and viewers, everyone manages their own
# name, password (giving the current one) and API keys. Roles are granted by owners; admins
# only move users between editor and viewer.
_MANAGED_BY: dict[str, frozenset[str]] = {
    UserRole.OWNER: frozenset(UserRole),
    UserRole.ADMIN: frozenset({UserRole.EDITOR, UserRole.VIEWER}),
    UserRole.EDITOR: frozenset(),
    UserRole.VIEWER: frozenset(),
}
_MANAGERS = frozenset(role for role, managed in _MANAGED_BY.items() if managed)


def manages(actor: User, role: str) -> bool:
    """Whether ``actor`` may manage another user of ``role`` (or grant ``role``)."""
    return role in _MANAGED_BY.get(actor.role, frozenset())


def _require_manages(actor: User, target: User) -> None:
    if manages(actor, target.role):
        return
    if actor.role == UserRole.ADMIN:
        raise Forbidden(f"only an owner manages an {target.role}'s account and keys")
    raise Forbidden("only an owner or admin can change other users")


async def create(session: AsyncSession, data: UserCreate, *, actor: User | None = None) -> User:
    """Create a user; ``actor`` (None: the command line) must be allowed to grant the role."""
    if actor is not None and not manages(actor, data.role):
        raise Forbidden(f"role: an {actor.role} cannot create users with the role {data.role}")
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
    return await create(session, data.model_copy(update={"role": UserRole.OWNER.value}))


async def setup_owner_guarded(
    session: AsyncSession, guard: AuthGuard, data: UserCreate, client: str
) -> User:
    """``setup_owner``; attempts after set-up count as failures of the client (429 after)."""
    await guard.check(Counter.LOGIN_CLIENT, client)
    try:
        return await setup_owner(session, data)
    except Conflict:
        await guard.fail(Counter.LOGIN_CLIENT, client)
        raise


async def update(
    session: AsyncSession,
    actor: User,
    user_id: int,
    data: UserUpdate,
    *,
    guard: AuthGuard,
    client: str,
) -> User:
    user = await get(session, user_id)
    is_self = actor.id == user.id
    if is_self and data.password is not None:
        await confirm_password(guard, actor, data.current_password, client)
    if not is_self:
        _require_manages(actor, user)
    if data.role is not None and data.role != user.role:
        await _change_role(session, actor, user, data.role)
    if data.is_active is not None and data.is_active != user.is_active:
        if is_self:
            raise Conflict("is_active: you cannot deactivate yourself")
        if not data.is_active:
            await _keep_an_owner(session, user, "is_active: the last owner cannot be deactivated")
        user.is_active = data.is_active
        user.token_version += 1
    if data.name is not None:
        user.name = data.name
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        user.token_version += 1
    await session.flush()
    return user


async def _change_role(session: AsyncSession, actor: User, user: User, role: str) -> None:
    if actor.role != UserRole.OWNER and (
        actor.id == user.id or not manages(actor, user.role) or not manages(actor, role)
    ):
        raise Forbidden(
            "role: only an owner can change roles"
            + (" other than between editor and viewer" if actor.role == UserRole.ADMIN else "")
        )
    await _keep_an_owner(session, user, "role: the last owner cannot be demoted")
    user.role = role


async def _keep_an_owner(session: AsyncSession, user: User, message: str) -> None:
    """Refuse to take away the last active owner."""
    if user.role == UserRole.OWNER and user.is_active and await _owners(session) <= 1:
        raise Conflict(message)


async def _owners(session: AsyncSession) -> int:
    query = select(func.count()).select_from(User).where(User.role == "owner", User.is_active)
    return int(await session.scalar(query) or 0)


async def delete(session: AsyncSession, actor: User, user_id: int) -> None:
    user = await get(session, user_id)
    if user.id == actor.id:
        raise Conflict("you cannot delete yourself")
    _require_manages(actor, user)
    await _keep_an_owner(session, user, "the last owner cannot be deleted")
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
    """Revoke a key: your own, or one of a user you manage (see ``manages``)."""
    row = await session.get(ApiKey, key_id)
    if row is None or (row.user_id != user.id and user.role not in _MANAGERS):
        raise NotFound(f"API key {key_id} not found")
    if row.user_id != user.id:
        _require_manages(user, await get(session, row.user_id))
    await session.delete(row)
    await session.flush()

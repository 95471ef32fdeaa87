"""Passwords, login tokens and API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import jwt
from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from wirework.db.base import utcnow
from wirework.db.models import ApiKey
from wirework.db.models import User as User  # the signed-in user routes receive
from wirework.errors import InvalidInput, Unauthorized
from wirework.services.ratelimit import AuthGuard, Counter

API_KEY_PREFIX = "ww_"
_hasher = PasswordHash.recommended()  # argon2id
# Verified against when the e-mail is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    try:
        return _hasher.verify(password, password_hash)
    except Exception:
        return False


def create_access_token(user: User, signing_key: str, ttl_s: int) -> tuple[str, int]:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "tv": user.token_version,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(seconds=ttl_s)).timestamp()),
    }
    return jwt.encode(claims, signing_key, algorithm="HS256"), ttl_s


def hash_api_key(key: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash is enough (and keeps auth cheap).
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


async def authenticate(session: AsyncSession, token: str, signing_key: str) -> User:
    """The active user a bearer token (login token or API key) belongs to."""
    if token.startswith(API_KEY_PREFIX):
        key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(token)))
        if key is None:
            raise Unauthorized("invalid API key")
        if key.expires_at is not None and key.expires_at <= utcnow():
            raise Unauthorized("API key expired")
        user = await session.get(User, key.user_id)
        now = utcnow()
        if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
            key.last_used_at = now
    else:
        try:
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=["HS256"],
                options={"require": ["exp", "sub", "tv"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired; log in again") from None
        except jwt.PyJWTError:
            raise Unauthorized("invalid token") from None
        if claims.get("typ") != "access":
            raise Unauthorized("invalid token")
        try:
            user = await session.get(User, int(claims["sub"]))
        except (TypeError, ValueError):
            raise Unauthorized("invalid token") from None
        if user is not None and user.token_version != claims["tv"]:
            raise Unauthorized("token revoked; log in again")
    if user is None or not user.is_active:
        raise Unauthorized("the user of this token does not exist or is deactivated")
    return user


async def authenticate_guarded(
    session: AsyncSession, guard: AuthGuard, token: str, signing_key: str, client: str
) -> User:
    """``authenticate``, refused with 429 once this client sent too many wrong tokens."""
    await guard.check(Counter.TOKEN_CLIENT, client)
    try:
        return await authenticate(session, token, signing_key)
    except Unauthorized:
        await guard.fail(Counter.TOKEN_CLIENT, client)
        raise


async def login_guarded(
    session: AsyncSession, guard: AuthGuard, email: str, password: str, client: str
) -> User:
    """``login`` under the account's and the client's rate limits (429 when exceeded)."""
    account = email.strip().lower()
    async with guard.one_at_a_time(Counter.LOGIN_ACCOUNT, account):
        await guard.check(Counter.LOGIN_CLIENT, client)
        await guard.check(Counter.LOGIN_ACCOUNT, account)
        try:
            return await login(session, email, password)
        except Unauthorized:
            await guard.fail(Counter.LOGIN_CLIENT, client)
            await guard.fail(Counter.LOGIN_ACCOUNT, account)
            raise


async def confirm_password(guard: AuthGuard, user: User, password: str | None, client: str) -> None:
    """A user's current password, checked under the same limits as a login (a stolen token
    must not become a way to guess the password)."""
    if not password:
        raise InvalidInput.one("current_password", "is required to change your own password")
    async with guard.one_at_a_time(Counter.LOGIN_ACCOUNT, user.email):
        await guard.check(Counter.LOGIN_CLIENT, client)
        await guard.check(Counter.LOGIN_ACCOUNT, user.email)
        if not verify_password(password, user.password_hash):
            await guard.fail(Counter.LOGIN_CLIENT, client)
            await guard.fail(Counter.LOGIN_ACCOUNT, user.email)
            raise InvalidInput.one("current_password", "is wrong")


async def login(session: AsyncSession, email: str, password: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise Unauthorized("wrong e-mail or password")
    if not user.is_active:
        raise Unauthorized("this user is deactivated")
    return user

"""Credential models: what an integration type stores per integration, and how requests
authenticate with it.

A credential model is a pydantic model; fields typed ``SecretStr`` are secrets (stored
encrypted, masked in every response, redacted from what steps record). Its fields become the
type's credential form (:func:`credential_parameters`). ``Auth`` says how a request
authenticates: ``bearer("token")``, ``basic("email", "api_token")``,
``api_key_header("X-Api-Key", "api_key")`` or ``oauth2()`` (with an :class:`OAuth2Credentials`
model: client credentials, or authorization code with PKCE and refresh).
"""

from __future__ import annotations

import enum
import types
import typing
from base64 import b64encode
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

if typing.TYPE_CHECKING:
    from wirework.sdk.integration.tokens import TokenSource


class CredentialsModel(BaseModel):
    """Base of credential models: unknown stored fields are ignored (a type may drop one)."""

    model_config = ConfigDict(extra="ignore")


def secret(value: SecretStr | str | None) -> str:
    if value is None:
        return ""
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


# --------------------------------------------------------------------------- the form


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed) of ``X | None`` / ``Optional[X]``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _param_type(annotation: Any) -> tuple[str, list[str] | None]:
    inner, _ = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if inner is SecretStr:
        return "password", None
    if origin is Literal:
        return "select", [str(a) for a in typing.get_args(inner)]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return "select", [str(m.value) for m in inner]
    if inner is bool:
        return "boolean", None
    if inner in (int, float):
        return "number", None
    if inner is str:
        return "string", None
    return "json", None


def check_choices(model: type[BaseModel]) -> None:
    """Refuse credential fields whose choices are not text (a TypeError naming the field).
    The credentials form sends the choice picked as text, so ``Literal[64, 128]`` could never
    validate: declare such a number as an ``int`` with bounds."""
    for name, info in model.model_fields.items():
        inner, _ = _unwrap(info.annotation)
        if typing.get_origin(inner) is Literal:
            values: list[Any] = list(typing.get_args(inner))
        elif isinstance(inner, type) and issubclass(inner, enum.Enum):
            values = [m.value for m in inner]
        else:
            continue
        if not all(isinstance(v, str) for v in values):
            raise TypeError(
                f"{model.__name__}.{name}: a credential's choices must be strings, not "
                f"{values!r} (the form sends text; for a number use int with ge/le)"
            )


def credential_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The credential form of a model, as the integration-types table stores it (the
    ``ParameterSpec`` shape: name, type, required, description, default, options,
    header_bound)."""
    out = []
    for name, info in model.model_fields.items():
        kind, options = _param_type(info.annotation)
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if isinstance(default, enum.Enum):
            default = default.value
        if kind == "password" or isinstance(default, SecretStr):
            default = None
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        out.append(
            {
                "name": name,
                "type": kind,
                "required": info.is_required(),
                "description": info.description or "",
                "default": default,
                "options": options,
                "header_bound": bool(extra.get("header_bound", kind == "password")),
            }
        )
    return out


def secret_fields(model: type[BaseModel]) -> set[str]:
    return {p["name"] for p in credential_parameters(model) if p["type"] == "password"}


# --------------------------------------------------------------------------- auth

HeadersFn = Callable[[Any], Mapping[str, str]]


@dataclass(frozen=True)
class Auth:
    """How requests authenticate: static headers from the credentials (``headers``), or an
    OAuth2 token (``oauth2``: the credential model must be an OAuth2Credentials)."""

    kind: Literal["headers", "oauth2"]
    headers: HeadersFn | None = None
    description: str = ""
    # Query parameters from the credentials (an API key in the query), sent like the
    # headers: only to the integration's allowed hosts.
    query: HeadersFn | None = None
    # ``oauth2``: the TokenSource class to use (a subclass with its own grant), or None.
    token_source: type[TokenSource] | None = None

    def request_query(self, credentials: Any) -> list[tuple[str, str]]:
        return list(self.query(credentials).items()) if self.query is not None else []

    async def request_headers(self, credentials: Any, tokens: TokenSource | None) -> dict[str, str]:
        if self.kind == "oauth2":
            assert tokens is not None
            return {"Authorization": f"Bearer {await tokens.access_token()}"}
        assert self.headers is not None
        return dict(self.headers(credentials))


def bearer(field: str = "token") -> Auth:
    """``Authorization: Bearer <field>``."""
    return Auth(
        "headers",
        lambda c: {"Authorization": f"Bearer {secret(getattr(c, field))}"},
        f"Authorization: Bearer <{field}>",
    )


def basic(username_field: str, password_field: str) -> Auth:
    """``Authorization: Basic base64(<username>:<password>)``."""

    def headers(c: Any) -> dict[str, str]:
        pair = f"{secret(getattr(c, username_field))}:{secret(getattr(c, password_field))}"
        return {"Authorization": "Basic " + b64encode(pair.encode()).decode("ascii")}

    return Auth("headers", headers, f"HTTP Basic <{username_field}>:<{password_field}>")


def api_key_header(header: str, field: str = "api_key") -> Auth:
    """The key in a header of its own."""
    return Auth("headers", lambda c: {header: secret(getattr(c, field))}, f"{header}: <{field}>")


def api_key_query(param: str, field: str = "api_key") -> Auth:
    """The key as a query parameter of its own."""
    return Auth(
        "headers",
        lambda c: {},
        f"?{param}=<{field}>",
        query=lambda c: {param: secret(getattr(c, field))},
    )


def http_url(example: str) -> AfterValidator:
    """The check of a service's base URL field, ``base_url: Annotated[str,
    http_url("https://api.example.com")] = Field(…)``: an http(s) URL, trailing slashes
    dropped; else an error naming ``example``."""

    def check(value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"must be an http(s) URL such as {example}")
        return value.rstrip("/")

    return AfterValidator(check)


def no_auth(description: str = "none") -> Auth:
    """No credentials sent by the SDK's HTTP client: none at all, or the integration applies
    them itself (``description`` says how, for the docs: a database's login, a signature)."""
    return Auth("headers", lambda c: {}, description)


def oauth2(source: type[TokenSource] | None = None) -> Auth:
    """An OAuth2 access token (client credentials, or authorization code with refresh).
    ``source``: a :class:`~wirework.sdk.integration.tokens.TokenSource` subclass for a grant
    of the integration's own (e.g. a service account's signed JWT, RFC 7523)."""
    return Auth("oauth2", None, "OAuth2 bearer token", token_source=source)


class OAuth2Credentials(CredentialsModel):
    """An OAuth2 client. ``grant``: ``client_credentials`` (a token for the client itself,
    fetched when needed) or ``authorization_code`` (a user's tokens, obtained once with PKCE
    through the authorize URL and refreshed before they expire and on a 401)."""

    grant: Literal["client_credentials", "authorization_code"] = Field(
        default="client_credentials", description="OAuth2 grant type"
    )
    client_id: str = Field(description="OAuth2 client id", json_schema_extra={"header_bound": True})
    client_secret: SecretStr | None = Field(default=None, description="OAuth2 client secret")
    token_url: str = Field(description="Token endpoint URL")
    authorize_url: str | None = Field(
        default=None, description="Authorization endpoint URL (authorization_code)"
    )
    scope: str | None = Field(default=None, description="Scopes, space separated")
    access_token: SecretStr | None = Field(default=None, description="Current access token")
    refresh_token: SecretStr | None = Field(default=None, description="Refresh token")
    expires_at: float | None = Field(
        default=None, description="When the access token expires (Unix seconds)"
    )


TokenSaver = Callable[[int, dict[str, Any]], Awaitable[None]]

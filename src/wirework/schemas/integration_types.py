"""Integration types: credential parameter schemas and the actions a type offers."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from wirework.schemas.common import RequestModel, ResponseModel

ParamType = Literal["string", "number", "boolean", "password", "select", "json"]
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,99}$"
_SLUG = re.compile(NAME_PATTERN)


def is_key(text: str) -> bool:
    return bool(_SLUG.fullmatch(text))


def derive_key(text: str) -> str:
    """``"Acme API"`` → ``"acme_api"``, ``"Café Öl"`` → ``"cafe_ol"``; empty when nothing
    usable is left (``"日本"``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"t_{slug}"
    return slug[:100].rstrip("_")


class ParameterSpec(RequestModel):
    """One field of a credential form or of an action's parameters."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$", description="Field name")
    type: ParamType = Field(default="string", description="Field type; password is secret")
    required: bool = False
    description: str = Field(default="", max_length=2000)
    default: Any = Field(default=None, description="Value used when the field is not given")
    options: list[str] | None = Field(
        default=None, description="Allowed values (required for, and only for, type select)"
    )
    json_schema: dict[str, Any] | None = Field(
        default=None,
        description="JSON Schema of a json field's value (shown in the params schema)",
    )
    header_bound: bool = Field(
        default=False,
        description=(
            "The value is sent in an HTTP header: values with control characters (CR, LF, "
            "NUL…) are refused. Always so for token, api_token, access_token, bearer_token, "
            "api_key, api_key_header, username, password and the headers object"
        ),
    )

    @model_validator(mode="after")
    def _check(self) -> ParameterSpec:
        if self.type == "select" and not self.options:
            raise ValueError(f"parameter {self.name!r}: type select needs a non-empty `options`")
        if self.type != "select" and self.options is not None:
            raise ValueError(f"parameter {self.name!r}: `options` is only for type select")
        if self.default is not None:
            from wirework.schemas.params import check_value

            problem = check_value(self, self.default)
            if problem:
                raise ValueError(f"parameter {self.name!r}: default {problem}")
        if self.type == "password" and self.default is not None:
            raise ValueError(f"parameter {self.name!r}: a password field cannot have a default")
        return self


def _unique(specs: list[Any], what: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"duplicate {what} name {spec.name!r}")
        seen.add(spec.name)


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
AuthKind = Literal["none", "api_key_header", "api_key_query", "bearer", "basic", "oauth2"]


class HttpAuthSpec(RequestModel):
    """How a declarative type's requests authenticate, with its credential fields."""

    kind: AuthKind = Field(default="none", description="Auth scheme")
    name: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9_\-.]+$",
        description="Header (api_key_header) or query parameter (api_key_query) name",
    )
    field: str = Field(
        default="api_key",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$",
        description="Credential field holding the key or token (api_key_*, bearer)",
    )
    username_field: str = Field(default="username", description="Credential field (basic)")
    password_field: str = Field(default="password", description="Credential field (basic)")

    @model_validator(mode="after")
    def _check(self) -> HttpAuthSpec:
        if self.kind in ("api_key_header", "api_key_query") and not self.name:
            raise ValueError(f"auth kind {self.kind} needs `name` (the header or query parameter)")
        return self


class HttpSpec(RequestModel):
    """A declarative HTTP type: where its actions send requests and how they authenticate.
    A credential field ``base_url``, when the type declares one, overrides ``base_url``."""

    base_url: str = Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="Base URL of the service, e.g. https://api.acme.com/v1",
    )
    auth: HttpAuthSpec = Field(default_factory=HttpAuthSpec)


class RequestSpec(RequestModel):
    """The HTTP request an action sends. Strings may hold expressions over the action's
    params (``{{ params.owner }}``); ``response`` maps the answer (``response.status``,
    ``response.headers``, ``response.body``) with an expression, ``jmespath`` with a
    JMESPath over the answer's JSON body."""

    method: str = Field(default="GET", max_length=200, description="HTTP method (may be templated)")
    path: str = Field(default="/", max_length=4000, description="Path under the base URL")
    query: dict[str, Any] = Field(default_factory=dict, description="Query parameters")
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers")
    body: Any = Field(default=None, description="JSON body (any JSON, templated)")
    response: str | None = Field(
        default=None, max_length=4000, description="Expression mapping the response"
    )
    jmespath: str | None = Field(
        default=None, max_length=4000, description="JMESPath over the JSON body"
    )

    @model_validator(mode="after")
    def _check(self) -> RequestSpec:
        if self.response is not None and self.jmespath is not None:
            raise ValueError("give `response` or `jmespath`, not both")
        if self.path.lstrip().lower().startswith(("http://", "https://", "//")):
            raise ValueError("path: must be relative to the base URL")
        return self


class ActionSpec(RequestModel):
    name: str = Field(pattern=NAME_PATTERN, description="Action name, used as `<type>.<name>`")
    display_name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    parameters: list[ParameterSpec] = Field(default_factory=list)
    request: RequestSpec | None = Field(
        default=None, description="The HTTP request it sends (types with `http`)"
    )

    @model_validator(mode="after")
    def _check(self) -> ActionSpec:
        _unique(self.parameters, f"parameter (action {self.name!r})")
        return self


class IntegrationTypeCreate(RequestModel):
    """``{"name": "jira", "display_name": "Jira"}``, ``{"name": "Acme API"}`` (the key
    ``acme_api`` is derived) and ``{"key": "acme", "name": "Acme API"}`` all work."""

    name: str = Field(
        min_length=1,
        max_length=200,
        description=(
            "The key (a slug such as jira) or a display name such as Acme API, from which "
            "the key is derived unless `key` is given"
        ),
    )
    key: str | None = Field(
        default=None,
        pattern=NAME_PATTERN,
        description="Unique slug integrations name their type by; derived from name if omitted",
    )
    display_name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    parameters: list[ParameterSpec] = Field(
        default_factory=list, description="Credential fields of integrations of this type"
    )
    actions: list[ActionSpec] = Field(default_factory=list)
    http: HttpSpec | None = Field(
        default=None, description="Makes its actions run: base URL and auth scheme"
    )

    @model_validator(mode="after")
    def _check(self) -> IntegrationTypeCreate:
        _unique(self.parameters, "parameter")
        _unique(self.actions, "action")
        return self


class IntegrationTypeUpdate(RequestModel):
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The key (unchanged) or a new display name (when display_name is not given)",
    )
    key: str | None = Field(default=None, description="The key cannot change: if given, the same")
    display_name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    parameters: list[ParameterSpec] | None = None
    actions: list[ActionSpec] | None = None
    http: HttpSpec | None = Field(
        default=None,
        description="How the actions call the service; absent keeps it, null removes it (then no "
        "action may have a request)",
    )

    @model_validator(mode="after")
    def _check(self) -> IntegrationTypeUpdate:
        if self.parameters is not None:
            _unique(self.parameters, "parameter")
        if self.actions is not None:
            _unique(self.actions, "action")
        return self


class ParameterOut(BaseModel):
    name: str
    type: ParamType
    required: bool
    description: str
    default: Any = None
    options: list[str] | None = None
    json_schema: dict[str, Any] | None = None
    header_bound: bool = False


class ActionOut(BaseModel):
    name: str
    display_name: str
    description: str
    parameters: list[ParameterOut]
    node_type: str = Field(default="", description="The node type that runs it, `<key>.<name>`")
    runnable: bool = Field(
        default=False, description="Whether an installed integration package runs it"
    )
    params_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema of its params (runnable actions)"
    )
    request: dict[str, Any] | None = Field(
        default=None, description="The HTTP request it sends (declarative types)"
    )


class TriggerOut(BaseModel):
    name: str
    node_type: str
    kind: Literal["webhook", "polling"]
    display_name: str
    description: str
    params_schema: dict[str, Any]


class IntegrationTypeOut(ResponseModel):
    id: int
    name: str = Field(description="The key (same as `key`), what integrations' `type` names")
    key: str = Field(description="Unique slug, e.g. jira")
    display_name: str
    description: str
    parameters: list[ParameterOut]
    actions: list[ActionOut]
    triggers: list[TriggerOut] = Field(
        default_factory=list, description="Trigger node types (built-in types)"
    )
    builtin: bool = Field(description="Declared by an installed package: read-only")
    has_tester: bool = Field(description="Whether `POST /api/integrations/test` can check it")
    icon: str = Field(default="plug", description="Lucide icon name")
    category: str = Field(default="Custom", description="Catalogue section")
    docs: str = Field(default="", description="The service's API documentation")
    package: str | None = Field(default=None, description="Installed package declaring it")
    http: dict[str, Any] | None = Field(
        default=None, description="Base URL and auth scheme (declarative types)"
    )
    created_at: dt.datetime
    updated_at: dt.datetime


class PluginOut(BaseModel):
    """An entry point of the ``wirework.integrations`` group: loaded, or why not."""

    name: str = Field(description="Entry point name")
    module: str = Field(description="Module the entry point imports")
    package: str | None = Field(description="Installed distribution providing it")
    version: str | None = Field(description="Its version")
    ok: bool = Field(description="Loaded; false: skipped, see error")
    error: str | None = Field(default=None, description="Why it failed to load")
    integration_types: list[str] = Field(
        default_factory=list, description="Integration types it declares"
    )

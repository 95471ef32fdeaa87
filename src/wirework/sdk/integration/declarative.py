"""Declarative HTTP types: integration types users declare without code (through
``POST /api/integration-types``), made into an :class:`IntegrationDefinition` whose actions
run like built-in ones (same pooled, SSRF-guarded client, allowed hosts, redaction, error
mapping and retries).

A declaration is plain data (as the catalogue table stores it)::

    {"key": "acme", "display_name": "Acme",
     "parameters": [{"name": "api_key", "type": "password", "required": true}],
     "http": {"base_url": "https://api.acme.test/v1",
              "auth": {"kind": "api_key_header", "name": "X-Api-Key", "field": "api_key"}},
     "actions": [{"name": "get_item", "parameters": [{"name": "id", "required": true}],
                  "request": {"method": "GET", "path": "/items/{{ params.id }}",
                              "jmespath": "item"}}]}

The request's strings are expressions over the action's ``params`` (and everything an
expression sees in a step), evaluated by the engine's sandbox with its budget; the response
is mapped by ``response`` (an expression over ``response.status``, ``.headers``, ``.body``)
or ``jmespath`` (over the JSON body), else the JSON body is the output.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import jmespath
import jmespath.exceptions
from pydantic import BaseModel, Field, SecretStr, create_model

from wirework.sdk.integration.client import response_json
from wirework.sdk.integration.credentials import (
    Auth,
    CredentialsModel,
    OAuth2Credentials,
    api_key_header,
    api_key_query,
    basic,
    bearer,
    no_auth,
    oauth2,
)
from wirework.sdk.integration.declare import ActionContext, ActionParams, IntegrationDefinition
from wirework.sdk.node import NodeError

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_TYPES: dict[str, Any] = {
    "string": str,
    "password": SecretStr,
    "number": int | float,
    "boolean": bool,
    "select": str,
    "json": Any,
}


class DeclarativeDefinition(IntegrationDefinition):
    """An integration type declared as data: kept apart from the installed ones in the
    registry (``registry.custom_definition``) and replaced when its declaration changes."""

    custom = True
    fingerprint = ""


def fingerprint(declaration: Mapping[str, Any]) -> str:
    text = json.dumps(declaration, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _field(spec: Mapping[str, Any], secret_ok: bool = True) -> tuple[Any, Any]:
    kind = _TYPES.get(str(spec.get("type", "string")), Any)
    if kind is SecretStr and not secret_ok:
        kind = str
    info: dict[str, Any] = {"description": str(spec.get("description") or "")}
    if spec.get("type") == "select" and spec.get("options"):
        info["json_schema_extra"] = {"enum": list(spec["options"])}
    elif spec.get("type") == "json" and isinstance(spec.get("json_schema"), dict):
        info["json_schema_extra"] = dict(spec["json_schema"])
    if spec.get("required"):
        return kind, Field(**info)
    return kind | None, Field(default=spec.get("default"), **info)


def _model_name(*parts: str) -> str:
    return "".join(p.title().replace("_", "") for p in parts)


def credentials_model(key: str, parameters: list[Mapping[str, Any]], auth_kind: str) -> type:
    base: type[BaseModel] = OAuth2Credentials if auth_kind == "oauth2" else CredentialsModel
    fields = {
        str(p["name"]): _field(p) for p in parameters if str(p["name"]) not in base.model_fields
    }
    if "base_url" not in fields:
        fields["base_url"] = (str | None, Field(default=None, description="Overrides the base URL"))
    return create_model(_model_name(key, "credentials"), __base__=base, **fields)  # type: ignore[call-overload, no-any-return]


def params_model(key: str, action: str, parameters: list[Mapping[str, Any]]) -> type[BaseModel]:
    fields = {str(p["name"]): _field(p, secret_ok=False) for p in parameters}
    return create_model(  # type: ignore[call-overload, no-any-return]
        _model_name(key, action, "params"), __base__=ActionParams, **fields
    )


def auth_of(spec: Mapping[str, Any]) -> Auth:
    kind = str(spec.get("kind", "none"))
    field = str(spec.get("field") or "api_key")
    if kind == "api_key_header":
        return api_key_header(str(spec["name"]), field)
    if kind == "api_key_query":
        return api_key_query(str(spec["name"]), field)
    if kind == "bearer":
        return bearer(field)
    if kind == "basic":
        return basic(
            str(spec.get("username_field") or "username"),
            str(spec.get("password_field") or "password"),
        )
    if kind == "oauth2":
        return oauth2()
    return no_auth()


def build(declaration: Mapping[str, Any]) -> DeclarativeDefinition:
    """The definition of a declarative type (its actions registered as node types)."""
    key = str(declaration["key"])
    http = dict(declaration.get("http") or {})
    auth_spec = dict(http.get("auth") or {})
    default_base = str(http.get("base_url") or "")
    definition = DeclarativeDefinition(
        key,
        str(declaration.get("display_name") or key),
        credentials=credentials_model(
            key, list(declaration.get("parameters") or []), str(auth_spec.get("kind"))
        ),
        auth=auth_of(auth_spec),
        description=str(declaration.get("description") or ""),
        category="Custom",
        base_url=lambda c: getattr(c, "base_url", None) or default_base,
    )
    definition.fingerprint = fingerprint(declaration)
    for action in declaration.get("actions") or []:
        request = action.get("request")
        if request is None:
            continue
        name = str(action["name"])
        definition.action(
            name,
            params=params_model(key, name, list(action.get("parameters") or [])),
            description=str(action.get("description") or f"{request.get('method')} request"),
            display_name=str(action.get("display_name") or "") or None,
        )(_runner(dict(request)))
    return definition


def _runner(request: dict[str, Any]) -> Any:
    mapping = request.pop("response", None)
    path_expr = request.pop("jmespath", None)
    compiled = jmespath.compile(path_expr) if path_expr else None

    async def run(ctx: ActionContext[Any], params: BaseModel) -> Any:
        names = {"params": params.model_dump(mode="json")}
        sent = await ctx.node.aevaluate_with(request, names)
        method = str(sent.get("method") or "GET").upper()
        if method not in METHODS:
            raise NodeError(f"request method {method!r} is not an HTTP method", retryable=False)
        path = str(sent.get("path") or "/")
        if "://" in path or path.startswith("//"):
            raise NodeError("request path must be relative to the base URL", retryable=False)
        query = {str(k): v for k, v in dict(sent.get("query") or {}).items() if v is not None}
        headers = {
            str(k): str(v) for k, v in dict(sent.get("headers") or {}).items() if v is not None
        }
        response = await ctx.client.request(
            method, path, query=query, headers=headers, json=sent.get("body")
        )
        body = response_json(response)
        if body is None and response.content:
            body = response.text
        if compiled is not None:
            try:
                return _output(compiled.search(body))
            except jmespath.exceptions.JMESPathError as exc:
                raise NodeError(f"response jmespath: {exc}", retryable=False) from None
        if mapping is not None:
            answer = {
                "status": response.status_code,
                "headers": dict(response.headers),
                "body": body,
            }
            return _output(await ctx.node.aevaluate_with(mapping, {**names, "response": answer}))
        return _output(body)

    return run


def _output(value: Any) -> Any:
    """Objects and lists of objects are items; anything else is ``{"value": …}``."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    return {"value": value}

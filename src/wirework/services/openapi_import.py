"""OpenAPI 3 import: a description (JSON or YAML text, a parsed object, or a URL fetched
through the SSRF guard) becomes a declarative integration type: one action per operation
(its operationId, else method and path as a slug), params from the operation's parameters
and request body (``$ref``s resolved, cycles cut), auth from its security schemes and
``servers[0]`` as the base URL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from wirework.errors import InvalidInput
from wirework.schemas.integration_types import IntegrationTypeCreate, derive_key
from wirework.sdk.outbound import BlockedAddress, OutboundClient

METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
MAX_BYTES = 20 * 1024 * 1024
_NAME = re.compile(r"[^A-Za-z0-9_]+")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_text(text: str | bytes) -> dict[str, Any]:
    """JSON or YAML text into the description; InvalidInput if it is neither."""
    if text.lstrip()[:1] in ("{", b"{"):
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except ValueError:
            pass  # YAML's flow style, or an error YAML's parser describes
        else:
            if isinstance(data, dict):
                return data
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InvalidInput.one("spec", f"neither JSON nor YAML: {exc}"[:500]) from None
    if not isinstance(data, dict):
        raise InvalidInput.one("spec", "must be an OpenAPI 3 object")
    return data


async def fetch(url: str) -> dict[str, Any]:
    """The description at ``url``, fetched through the SSRF guard."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInput.one("url", "must be an http(s) URL")
    client = OutboundClient(timeout=30.0, follow_redirects=True)
    try:
        response = await client.request("GET", url)
    except BlockedAddress as exc:
        raise InvalidInput.one("url", str(exc)) from None
    except Exception as exc:  # unreachable, timeout, too large
        raise InvalidInput.one("url", f"could not be fetched: {type(exc).__name__}") from None
    finally:
        await client.aclose()
    if response.status_code >= 400:
        raise InvalidInput.one("url", f"answered HTTP {response.status_code}")
    return parse_text(response.content)


# --------------------------------------------------------------------------- $refs


class _Resolver:
    """Resolves local ``$ref``s (``#/components/...``); a reference met again inside its
    own expansion (a cycle) becomes ``{}`` with a note, so every result is finite."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def target(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise InvalidInput.one("$ref", f"{ref!r}: only local references are supported")
        node: Any = self.spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise InvalidInput.one("$ref", f"{ref!r} does not resolve")
            node = node[part]
        return node

    def resolve(self, value: Any, seen: tuple[str, ...] = (), depth: int = 0) -> Any:
        if depth > 64:
            return {"description": "(nested too deeply)"}
        if isinstance(value, Mapping):
            ref = value.get("$ref")
            if isinstance(ref, str):
                if ref in seen:
                    return {"description": f"(recursive: {ref.rsplit('/', 1)[-1]})"}
                return self.resolve(self.target(ref), (*seen, ref), depth + 1)
            return {k: self.resolve(v, seen, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, seen, depth + 1) for v in value]
        return value


# --------------------------------------------------------------------------- building


def _slug(text: str) -> str:
    return derive_key(re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text))[:90] or "operation"


def _param_name(name: str, taken: set[str]) -> str:
    base = _NAME.sub("_", name).strip("_") or "param"
    if not (base[0].isalpha() or base[0] == "_"):
        base = f"p_{base}"
    candidate, n = base[:90], 2
    while candidate in taken:
        candidate, n = f"{base[:85]}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _kind(schema: Mapping[str, Any]) -> tuple[str, list[str] | None]:
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return "select", [str(v) for v in schema["enum"]]
    return {
        "string": "string",
        "integer": "number",
        "number": "number",
        "boolean": "boolean",
    }.get(str(schema.get("type")), "json"), None


def _parameter(name: str, schema: Mapping[str, Any], required: bool, doc: str) -> dict[str, Any]:
    kind, options = _kind(schema)
    out: dict[str, Any] = {
        "name": name,
        "type": kind,
        "required": required,
        "description": (doc or str(schema.get("description") or ""))[:2000],
        "options": options,
    }
    if kind == "json" and schema:
        out["json_schema"] = dict(schema)
    return out


def _auth(spec: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The auth scheme (the first the description requires, else the first declared)
    and its credential fields."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    names = [n for req in spec.get("security") or [] for n in req] + list(schemes)
    for name in names:
        scheme = schemes.get(name)
        if not isinstance(scheme, Mapping):
            continue
        kind, where = scheme.get("type"), scheme.get("in")
        secret = {"name": "api_key", "type": "password", "required": True}
        if kind == "apiKey" and where in ("header", "query"):
            return {"kind": f"api_key_{where}", "name": scheme["name"], "field": "api_key"}, [
                secret
            ]
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
            return {"kind": "bearer", "field": "token"}, [{**secret, "name": "token"}]
        if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
            return {"kind": "basic"}, [
                {"name": "username", "type": "string", "required": True, "header_bound": True},
                {"name": "password", "type": "password", "required": True},
            ]
        if kind == "oauth2":
            return {"kind": "oauth2"}, _oauth2_fields(scheme.get("flows") or {})
    return {"kind": "none"}, []


def _oauth2_fields(flows: Mapping[str, Any]) -> list[dict[str, Any]]:
    flow = flows.get("clientCredentials") or flows.get("authorizationCode") or {}
    grant = "client_credentials" if "clientCredentials" in flows else "authorization_code"
    token_url = flow.get("tokenUrl")
    out: list[dict[str, Any]] = [
        {
            "name": "grant",
            "type": "select",
            "options": ["client_credentials", "authorization_code"],
            "default": grant,
        },
        {"name": "client_id", "type": "string", "required": True, "header_bound": True},
        {"name": "client_secret", "type": "password"},
        {"name": "token_url", "type": "string", "required": token_url is None},
        {"name": "authorize_url", "type": "string"},
        {"name": "scope", "type": "string"},
    ]
    if token_url:
        out[3]["default"] = token_url
    if flow.get("authorizationUrl"):
        out[4]["default"] = flow["authorizationUrl"]
    return out


def _base_url(spec: Mapping[str, Any], override: str | None) -> str:
    if override:
        return override
    servers = spec.get("servers") or []
    url = servers[0].get("url", "") if servers and isinstance(servers[0], Mapping) else ""
    for name, var in ((servers[0].get("variables") or {}) if servers else {}).items():
        url = url.replace("{" + name + "}", str(var.get("default", "")))
    if not url.startswith(("http://", "https://")):
        raise InvalidInput.one(
            "servers[0].url", f"{url!r} is not an absolute http(s) URL: give `base_url`"
        )
    return url


def _action(
    resolver: _Resolver, path: str, method: str, op: Mapping[str, Any], shared: list[Any]
) -> dict[str, Any]:
    taken: set[str] = set()
    parameters: list[dict[str, Any]] = []
    request: dict[str, Any] = {"method": method.upper(), "query": {}, "headers": {}}
    template_path = path
    by_key = {}
    for raw in [*shared, *(op.get("parameters") or [])]:
        p = resolver.resolve(raw)
        if isinstance(p, Mapping) and "name" in p and "in" in p:
            by_key[(p["in"], p["name"])] = p  # the operation's own win over the path's
    for (where, original), p in by_key.items():
        if where == "cookie":
            continue
        name = _param_name(original, taken)
        required = bool(p.get("required")) or where == "path"
        parameters.append(
            _parameter(name, p.get("schema") or {}, required, str(p.get("description") or ""))
        )
        ref = "{{ params." + name + " }}"
        if where == "path":
            template_path = template_path.replace("{" + original + "}", ref)
        elif where == "query":
            request["query"][original] = ref
        else:
            request["headers"][original] = ref
    body = resolver.resolve(op.get("requestBody")) if op.get("requestBody") else None
    if isinstance(body, Mapping):
        content = body.get("content") or {}
        media: dict[str, Any] = (
            content.get("application/json") or next(iter(content.values()), {}) or {}
        )
        name = _param_name("body", taken)
        parameters.append(
            {
                **_parameter(name, {}, bool(body.get("required")), "Request body"),
                "type": "json",
                "json_schema": media.get("schema") or {},
                "description": str(body.get("description") or "Request body")[:2000],
            }
        )
        request["body"] = "{{ params." + name + " }}"
    request["path"] = template_path
    summary = str(op.get("summary") or "")
    return {
        "name": _slug(str(op.get("operationId") or f"{method}_{path}")),
        "display_name": summary[:200],
        "description": str(op.get("description") or summary or f"{method.upper()} {path}")[:2000],
        "parameters": parameters,
        "request": request,
    }


def to_type(
    spec: Mapping[str, Any],
    *,
    key: str | None = None,
    name: str | None = None,
    base_url: str | None = None,
) -> IntegrationTypeCreate:
    """The integration type an OpenAPI 3 description declares."""
    if not str(spec.get("openapi", "")).startswith("3."):
        raise InvalidInput.one("openapi", "only OpenAPI 3.x descriptions can be imported")
    info = spec.get("info") or {}
    title = name or str(info.get("title") or "Imported API")
    resolver = _Resolver(spec)
    auth, credentials = _auth(spec)
    actions: list[dict[str, Any]] = []
    names: set[str] = set()
    for path, item in (spec.get("paths") or {}).items():
        item = resolver.resolve(item) if isinstance(item, Mapping) else {}
        shared = list(item.get("parameters") or [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            action = _action(resolver, str(path), method, op, shared)
            action["name"] = _param_name(action["name"], names)
            actions.append(action)
    if not actions:
        raise InvalidInput.one("paths", "declares no operation")
    data = {
        "name": title[:200],
        "key": key or derive_key(title)[:60] or None,
        "description": str(info.get("description") or "")[:5000],
        "parameters": credentials,
        "http": {"base_url": _base_url(spec, base_url), "auth": auth},
        "actions": actions,
    }
    try:
        return IntegrationTypeCreate.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.one("spec", f"cannot be imported: {exc}"[:1000]) from None


async def import_type(
    session: Any,
    *,
    spec: Mapping[str, Any] | str | bytes | None = None,
    url: str | None = None,
    key: str | None = None,
    name: str | None = None,
    base_url: str | None = None,
) -> Any:
    """Create the integration type an OpenAPI description declares (given, or at ``url``)."""
    from wirework.services import integration_types

    if spec is None and not url:
        raise InvalidInput.one("spec", "give the description (file, body or `spec`) or a `url`")
    if spec is None:
        data = await fetch(str(url))
    elif isinstance(spec, (str, bytes)):
        data = parse_text(spec)
    elif isinstance(spec, Mapping):
        data = dict(spec)
    else:
        raise InvalidInput.one("spec", "must be an OpenAPI 3 object, or its JSON or YAML text")
    try:
        declared = to_type(data, key=key, name=name, base_url=base_url)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        # a description whose parts have the wrong shapes (``paths`` a list, …)
        raise InvalidInput.one(
            "spec", f"is not a valid OpenAPI 3 description ({type(exc).__name__})"
        ) from None
    return await integration_types.create(session, declared)

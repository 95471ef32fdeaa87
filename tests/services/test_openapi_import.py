"""OpenAPI → declarative type: names, params, $refs and cycles, auth schemes, base URL."""

from __future__ import annotations

from typing import Any

import pytest

from wirework.errors import InvalidInput
from wirework.services.openapi_import import parse_text, to_type


def spec(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Pet Store"},
        "servers": [{"url": "https://pets.test/api"}],
        "paths": {
            "/pets/{petId}": {
                "get": {
                    "operationId": "showPetById",
                    "parameters": [
                        {"name": "petId", "in": "path", "schema": {"type": "string"}},
                        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                    ],
                },
            },
            "/pets": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        }
                    }
                }
            },
        },
        "components": {
            "schemas": {
                "Pet": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "friends": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
                    },
                }
            }
        },
    }
    base.update(over)
    return base


def test_operations_become_actions() -> None:
    data = to_type(spec())
    assert data.key == "pet_store" and data.http is not None
    assert data.http.base_url == "https://pets.test/api" and data.http.auth.kind == "none"
    show, create = data.actions
    assert show.name == "show_pet_by_id" and create.name == "post_pets"
    assert show.request is not None and show.request.path == "/pets/{{ params.petId }}"
    assert [(p.name, p.required) for p in show.parameters] == [("petId", True)]  # no cookie
    [body] = create.parameters
    assert body.name == "body" and body.type == "json" and body.json_schema is not None
    friends = body.json_schema["properties"]["friends"]["items"]
    assert friends == {"description": "(recursive: Pet)"}


@pytest.mark.parametrize(
    ("scheme", "kind", "fields"),
    [
        ({"type": "apiKey", "in": "query", "name": "apikey"}, "api_key_query", ["api_key"]),
        ({"type": "http", "scheme": "bearer"}, "bearer", ["token"]),
        ({"type": "http", "scheme": "basic"}, "basic", ["username", "password"]),
        (
            {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://t.test/t"}}},
            "oauth2",
            ["grant", "client_id", "client_secret", "token_url", "authorize_url", "scope"],
        ),
    ],
)
def test_auth_from_security_schemes(scheme: dict[str, Any], kind: str, fields: list[str]) -> None:
    description = spec()
    description["components"]["securitySchemes"] = {"main": scheme}
    data = to_type(description)
    assert data.http is not None and data.http.auth.kind == kind
    assert [p.name for p in data.parameters] == fields


def test_problems_name_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match="openapi"):
        to_type({"swagger": "2.0"})
    with pytest.raises(InvalidInput, match="paths"):
        to_type(spec(paths={}))
    with pytest.raises(InvalidInput, match=r"servers\[0\]\.url"):
        to_type(spec(servers=[]))
    assert to_type(spec(servers=[]), base_url="http://x.test").http is not None
    with pytest.raises(InvalidInput, match="spec"):
        parse_text("- just\n- a list\n")
    assert parse_text('{"openapi": "3.0.0"}') == {"openapi": "3.0.0"}
    assert parse_text("openapi: 3.0.0\n") == {"openapi": "3.0.0"}

"""A large, realistic OpenAPI 3 description for testing and measuring importers: many
resources, each with list/create/get/update/delete operations, shared path parameters, enums,
query paging, request bodies through ``$ref``s (one schema recursive), an API key header."""

from __future__ import annotations

from typing import Any


def resource_schemas(name: str) -> dict[str, Any]:
    return {
        name: {
            "type": "object",
            "required": ["id", "title"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string", "maxLength": 200},
                "status": {"$ref": "#/components/schemas/Status"},
                "owner": {"$ref": "#/components/schemas/User"},
                "labels": {"type": "array", "items": {"$ref": "#/components/schemas/Label"}},
                "parent": {"$ref": f"#/components/schemas/{name}"},  # recursive
            },
        },
        f"{name}Input": {
            "type": "object",
            "required": ["title"],
            "properties": {
                "title": {"type": "string"},
                "status": {"$ref": "#/components/schemas/Status"},
                "labels": {"type": "array", "items": {"$ref": "#/components/schemas/Label"}},
            },
        },
    }


def large_spec(base_url: str, resources: int = 60) -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Status": {"type": "string", "enum": ["open", "closed", "archived"]},
        "User": {
            "type": "object",
            "properties": {
                "login": {"type": "string"},
                "manager": {"$ref": "#/components/schemas/User"},  # a cycle through itself
            },
        },
        "Label": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Item": {
            "type": "object",
            "required": ["title"],
            "properties": {"title": {"type": "string"}, "tags": {"type": "array"}},
        },
    }
    paths: dict[str, Any] = {
        "/items/{itemId}": {
            "parameters": [{"$ref": "#/components/parameters/ItemId"}],
            "get": {"operationId": "getItem", "summary": "Get an item"},
        },
        "/items": {
            "post": {
                "operationId": "createItem",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                    },
                },
            }
        },
    }
    for i in range(resources):
        name = f"Resource{i}"
        schemas.update(resource_schemas(name))
        plural = f"/projects/{{projectId}}/resource-{i}"
        paging = [
            {"name": "page[size]", "in": "query", "schema": {"type": "integer"}},
            {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/Status"}},
            {"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}},
        ]
        body = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{name}Input"}}
            },
        }
        paths[plural] = {
            "parameters": [{"$ref": "#/components/parameters/ProjectId"}],
            "get": {"operationId": f"list{name}s", "parameters": paging},
            "post": {"operationId": f"create{name}", "requestBody": body},
        }
        paths[f"{plural}/{{id}}"] = {
            "parameters": [
                {"$ref": "#/components/parameters/ProjectId"},
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "get": {"operationId": f"get{name}"},
            "patch": {"requestBody": body},  # no operationId: method + path
            "delete": {"operationId": f"delete{name}"},
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": "Acme Platform", "version": "1.0", "description": "Generated"},
        "servers": [
            {"url": "{scheme}://acme.test/v1", "variables": {"scheme": {"default": "https"}}}
        ]
        if not base_url
        else [{"url": base_url}],
        "security": [{"key": []}],
        "components": {
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}},
            "parameters": {
                "ProjectId": {
                    "name": "projectId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
                "ItemId": {
                    "name": "itemId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                },
            },
            "schemas": schemas,
        },
        "paths": paths,
    }

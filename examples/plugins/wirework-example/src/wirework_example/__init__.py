"""Acme Notes: an example integration package for Wirework."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    ActionContext,
    ActionParams,
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    api_key_header,
)


class AcmeCredentials(CredentialsModel):
    base_url: str = Field(
        default="https://api.acme-notes.example", description="API URL of your Acme Notes"
    )
    api_key: SecretStr = Field(description="API key (Settings → API keys)")


ACME = IntegrationDefinition(
    "acme_notes",
    "Acme Notes",
    credentials=AcmeCredentials,
    auth=api_key_header("X-Api-Key", "api_key"),
    description="Acme Notes: write and list notes",
    icon="notebook-pen",
    category="Productivity",
    docs="https://docs.acme-notes.example/api",
    example_credentials={"api_key": "acme-example-key"},
)


@ACME.connection_test
async def test_connection(connection: Connection[AcmeCredentials]) -> str:
    me = await connection.client.json("GET", "/v1/me")
    return f"connected as {me.get('name', 'unknown')}"


class CreateNote(ActionParams):
    title: str = Field(min_length=1, max_length=200, description="Note title")
    text: str = Field(default="", description="Note text")


@ACME.action(
    "create_note",
    params=CreateNote,
    description="Create a note; emits the note",
    idempotency_header="Idempotency-Key",
    example={"title": "Groceries", "text": "milk"},
)
async def create_note(ctx: ActionContext[AcmeCredentials], params: CreateNote) -> Any:
    return await ctx.client.json("POST", "/v1/notes", json=params.model_dump())


class ListNotes(ActionParams):
    limit: int = Field(default=50, ge=1, le=500, description="Most notes to return")


@ACME.action(
    "list_notes",
    params=ListNotes,
    description="List notes, newest first; one item per note",
    example={"limit": 10},
)
async def list_notes(ctx: ActionContext[AcmeCredentials], params: ListNotes) -> Any:
    found = await ctx.client.json("GET", "/v1/notes", query={"limit": params.limit})
    return found.get("notes", []) if isinstance(found, dict) else []

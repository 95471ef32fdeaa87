"""Acme Notes and Acme Calendar: an example integration package for Wirework (an API-key
type with an idempotent action, and an OAuth2 type)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    ActionContext,
    ActionParams,
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    OAuth2Credentials,
    api_key_header,
    oauth2,
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


# --------------------------------------------------------------------------- OAuth2


class CalendarCredentials(OAuth2Credentials):
    """An OAuth2 client of Acme Calendar; connect it to get a user's tokens."""

    base_url: str = Field(
        default="https://api.acme-calendar.example", description="API URL of Acme Calendar"
    )


CALENDAR = IntegrationDefinition(
    "acme_calendar",
    "Acme Calendar",
    credentials=CalendarCredentials,
    auth=oauth2(),
    description="Acme Calendar (OAuth2): create events",
    icon="calendar",
    category="Productivity",
    docs="https://docs.acme-calendar.example/api",
    example_credentials={
        "grant": "authorization_code",
        "client_id": "example-client",
        "client_secret": "example-secret",
        "token_url": "https://auth.acme-calendar.example/token",
        "authorize_url": "https://auth.acme-calendar.example/authorize",
        "access_token": "example-access-token",
    },
)


@CALENDAR.connection_test
async def test_calendar(connection: Connection[CalendarCredentials]) -> str:
    me = await connection.client.json("GET", "/me")
    return f"connected as {me.get('name', 'unknown')}"


class CreateEvent(ActionParams):
    title: str = Field(min_length=1, max_length=200, description="Event title")
    start: str = Field(description="Start time (ISO 8601)")


@CALENDAR.action(
    "create_event",
    params=CreateEvent,
    description="Create an event; emits the event",
    example={"title": "Standup", "start": "2026-12-08T09:00:00Z"},
)
async def create_event(ctx: ActionContext[CalendarCredentials], params: CreateEvent) -> Any:
    return await ctx.client.json("POST", "/events", json=params.model_dump())

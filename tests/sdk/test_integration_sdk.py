"""SDK pieces on their own: Retry-After parsing, the polling cursor, credential forms."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import httpx
import pytest
from pydantic import BaseModel, Field, SecretStr

from wirework.sdk.integration import (
    IntegrationDefinition,
    bearer,
    credential_parameters,
    retry_after_s,
)
from wirework.sdk.integration.polling import baseline, newer, parse_time

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def answer(**headers: str) -> httpx.Response:
    return httpx.Response(429, headers=headers)


def test_retry_after_forms() -> None:
    assert retry_after_s(answer(**{"Retry-After": "7"})) == 7
    assert retry_after_s(answer(**{"Retry-After": "Mon, 07 Dec 2026 12:00:30 GMT"}), NOW) == 30
    assert retry_after_s(answer(**{"Retry-After": "soon"})) is None
    reset = str(int(NOW.timestamp()) + 12)
    limited = answer(**{"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
    assert retry_after_s(limited, NOW) == 12
    assert retry_after_s(answer()) is None


def test_parse_time_offsets() -> None:
    assert parse_time("2026-12-07T12:00:00.000+0000") == NOW
    assert parse_time("2026-12-07T12:00:00Z") == NOW
    assert parse_time("2026-12-07T13:00:00+01:00") == NOW


def item(key: str, at: str) -> dict[str, str]:
    return {"key": key, "at": at}


def test_newer_emits_each_change_once_and_keeps_ties() -> None:
    cursor = baseline(NOW)
    assert cursor == {"after": "2026-12-07T12:00:00+00:00", "seen": []}
    listed = [
        item("A", "2026-12-07T12:00:05Z"),
        item("old", "2026-12-07T11:59:00Z"),
        item("B", "2026-12-07T12:00:09Z"),
        item("C", "2026-12-07T12:00:09Z"),
    ]
    found, cursor = newer(listed, cursor, key=lambda i: i["key"], changed_at=lambda i: i["at"])
    assert [i["key"] for i in found] == ["A", "B", "C"]
    assert cursor["seen"] == ["B@2026-12-07T12:00:09Z", "C@2026-12-07T12:00:09Z"]
    # The service lists the tie again (its "since" is inclusive) plus a new one at that second.
    again = [*listed[2:], item("D", "2026-12-07T12:00:09Z")]
    found, cursor = newer(again, cursor, key=lambda i: i["key"], changed_at=lambda i: i["at"])
    assert [i["key"] for i in found] == ["D"] and len(cursor["seen"]) == 3
    found, _ = newer(again, cursor, key=lambda i: i["key"], changed_at=lambda i: i["at"])
    assert found == []
    # A later change of an item already seen counts again.
    found, _ = newer(
        [item("B", "2026-12-07T12:01:00Z")],
        cursor,
        key=lambda i: i["key"],
        changed_at=lambda i: i["at"],
    )
    assert [i["key"] for i in found] == ["B"]


class Creds(BaseModel):
    url: str = Field(description="Where")
    key: SecretStr = Field(description="The key")
    region: Literal["eu", "us"] = Field(default="eu", description="Region")
    retries: int = Field(default=3, description="Retries")
    verbose: bool = False
    extra: dict[str, str] | None = None


def test_credential_parameters() -> None:
    params = {p["name"]: p for p in credential_parameters(Creds)}
    assert params["url"] == {
        "name": "url",
        "type": "string",
        "required": True,
        "description": "Where",
        "default": None,
        "options": None,
        "header_bound": False,
    }
    assert params["key"]["type"] == "password" and params["key"]["header_bound"]
    assert params["region"]["options"] == ["eu", "us"] and params["region"]["default"] == "eu"
    assert params["retries"]["type"] == "number" and params["verbose"]["type"] == "boolean"
    assert params["extra"]["type"] == "json" and not params["extra"]["required"]


def test_a_choice_that_is_not_text_is_refused_at_declaration() -> None:
    """The form sends a select's choice as text: numbers from a set could never validate
    (an integration declaring them failed only when someone created one)."""

    class Sized(BaseModel):
        dimensions: Literal[64, 128] = 64

    with pytest.raises(TypeError, match=r"Sized\.dimensions: .*choices must be strings"):
        IntegrationDefinition(
            "sized_test", "Sized", credentials=Sized, auth=bearer("token"), base_url="https://x"
        )

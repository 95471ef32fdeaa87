"""Google Sheets against a local Google (fake_server.py): the service account's signed JWT
verified by the token endpoint, the token cached and renewed on a 401, OAuth2 refresh, the
values requests (ranges, header mapping, valueInputOption), Google's errors named, 429/503
retried where that is safe."""

from __future__ import annotations

import time
from typing import Any

from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer
from tests.integrations.google_sheets.conftest import other_pem
from tests.integrations.google_sheets.fake_server import (
    CLIENT_EMAIL,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SCOPE,
    SHEET_ID,
    FakeGoogle,
)
from wirework.integrations.google_sheets.actions import column_letters, split_range
from wirework.integrations.google_sheets.credentials import GOOGLE_SHEETS
from wirework.sdk.registry import registry

SECRETS = {"private_key", "client_secret", "access_token", "refresh_token"}
VALUES = f"/v4/spreadsheets/{SHEET_ID}/values"


def sa_creds(server: FakeGoogle, key: str, **over: Any) -> Any:
    values = {
        "kind": "service_account",
        "base_url": server.url,
        "token_url": server.token_url,
        "client_email": CLIENT_EMAIL,
        "private_key": key,
        **over,
    }
    return credentials(values, SECRETS, name="Sheets bot")


def oauth_creds(server: FakeGoogle, **over: Any) -> Any:
    values = {
        "kind": "oauth2",
        "base_url": server.url,
        "token_url": server.token_url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "access_token": "ya29.stale",
        "refresh_token": REFRESH_TOKEN,
        "expires_at": time.time() - 10,
        **over,
    }
    return credentials(values, SECRETS, integration_id=2, name="Sheets user")


def seed(server: FakeGoogle, rows: list[list[Any]], sheet: str = "Sheet1") -> None:
    server.sheets[SHEET_ID][sheet] = [list(r) for r in rows]


ORDERS = [
    ["Name", "Email", "Amount"],
    ["Ada", "ada@example.com", 42],
    [],
    ["Grace", "grace@example.com"],
]


def test_a1_helpers() -> None:
    assert split_range("Sheet1") == ("Sheet1", None)
    assert split_range("'My sheet'!A1:C3") == ("'My sheet'", "A1:C3")
    assert split_range("A1:C3") == (None, "A1:C3")
    assert split_range("A:C") == (None, "A:C")
    assert [column_letters(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


async def test_service_account_jwt_is_verified_and_rows_become_objects(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    seed(google_server, ORDERS)
    run = await run_node(
        "google_sheets.read_rows",
        {"spreadsheet_id": SHEET_ID, "range": "Sheet1"},
        sa_creds(google_server, sa_pem),
    )
    assert output(run) == [
        {"Name": "Ada", "Email": "ada@example.com", "Amount": "42", "row_number": 2},
        {"Name": "Grace", "Email": "grace@example.com", "Amount": "", "row_number": 4},
    ]
    [claims] = google_server.claims
    assert claims["iss"] == CLIENT_EMAIL and claims["aud"] == google_server.token_url
    assert claims["scope"] == SCOPE and claims["exp"] - claims["iat"] == 3600
    [form] = google_server.token_requests
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    [get] = google_server.seen("GET", f"{VALUES}/Sheet1")
    assert get.headers["authorization"] == "Bearer ya29.fake-1"
    assert get.query["valueRenderOption"] == "FORMATTED_VALUE"


async def test_raw_arrays_and_a_range_keep_sheet_row_numbers(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    seed(google_server, [["h1", "h2"], ["a", 1], ["b", 2], ["c", 3]], sheet="My sheet")
    run = await run_node(
        "google_sheets.read_rows",
        {
            "spreadsheet_id": SHEET_ID,
            "range": "'My sheet'!A3:B4",
            "header_row": False,
            "value_render": "UNFORMATTED_VALUE",
        },
        sa_creds(google_server, sa_pem),
    )
    assert output(run) == [{"row": 3, "values": ["b", 2]}, {"row": 4, "values": ["c", 3]}]
    assert google_server.seen("GET", f"{VALUES}/'My%20sheet'!A3:B4")


async def test_the_token_is_cached_and_renewed_on_a_401(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    seed(google_server, ORDERS)
    creds = sa_creds(google_server, sa_pem)
    params = {"spreadsheet_id": SHEET_ID, "range": "Sheet1!A1:C2"}
    output(await run_node("google_sheets.read_rows", params, creds))
    output(await run_node("google_sheets.read_rows", params, creds))
    assert len(google_server.claims) == 1  # the second run used the cached token
    google_server.expire_tokens()  # revoked (or expired early): Google answers 401
    assert output(await run_node("google_sheets.read_rows", params, creds))[0]["Name"] == "Ada"
    assert len(google_server.claims) == 2
    gets = google_server.seen("GET", f"{VALUES}/Sheet1!A1:C2")
    assert [g.headers["authorization"] for g in gets] == [
        "Bearer ya29.fake-1",
        "Bearer ya29.fake-1",
        "Bearer ya29.fake-1",
        "Bearer ya29.fake-2",
    ]


async def test_a_key_pasted_with_json_escapes_works(google_server: FakeGoogle, sa_pem: str) -> None:
    seed(google_server, ORDERS)
    escaped = sa_pem.replace("\n", "\\n")
    run = await run_node(
        "google_sheets.read_rows",
        {"spreadsheet_id": SHEET_ID},
        sa_creds(google_server, escaped),
    )
    assert len(output(run)) == 2


async def test_a_wrong_key_is_googles_invalid_grant_and_no_key_is_shown(
    google_server: FakeGoogle,
) -> None:
    wrong = other_pem()
    run = await run_node(
        "google_sheets.read_rows", {"spreadsheet_id": SHEET_ID}, sa_creds(google_server, wrong)
    )
    message = failure(run)
    assert message == (
        f"Google Sheets: the token endpoint refused the service account {CLIENT_EMAIL} "
        "(HTTP 400): invalid_grant: Invalid JWT Signature."
    )
    assert "PRIVATE KEY" not in str(run.record.error)
    assert not google_server.seen("GET", f"{VALUES}/.*")


async def test_a_key_that_is_not_pem_is_named(google_server: FakeGoogle) -> None:
    run = await run_node(
        "google_sheets.read_rows",
        {"spreadsheet_id": SHEET_ID},
        sa_creds(google_server, "not-a-key-0123"),
    )
    message = failure(run)
    assert "credentials.private_key is not an RSA private key" in message
    assert "not-a-key-0123" not in str(run.record.error)


async def test_missing_service_account_fields_are_named(google_server: FakeGoogle) -> None:
    run = await run_node(
        "google_sheets.read_rows",
        {"spreadsheet_id": SHEET_ID},
        sa_creds(google_server, "", client_email=None),
    )
    assert "a service account needs client_email and private_key" in failure(run)


async def test_oauth2_refreshes_an_expired_token(google_server: FakeGoogle) -> None:
    seed(google_server, ORDERS)
    run = await run_node(
        "google_sheets.read_rows", {"spreadsheet_id": SHEET_ID}, oauth_creds(google_server)
    )
    assert len(output(run)) == 2
    [form] = google_server.token_requests
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == REFRESH_TOKEN
    assert "ya29.fake-1" not in str(run.outputs)


async def test_append_maps_the_item_by_the_header_row(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    seed(google_server, ORDERS)
    run = await run_node(
        "google_sheets.append_rows",
        {"spreadsheet_id": SHEET_ID, "range": "Sheet1"},
        sa_creds(google_server, sa_pem),
        items=[{"Email": "linus@example.com", "Name": "Linus", "Source": "form", "Amount": None}],
    )
    [item] = output(run)
    assert item == {
        "spreadsheet_id": SHEET_ID,
        "table_range": "Sheet1!A1:B4",
        "updated_range": "Sheet1!A5:B5",
        "updated_rows": 1,
        "unmatched_fields": ["Source"],
    }
    [append] = google_server.seen("POST", f"{VALUES}/Sheet1:append")
    assert append.query == {"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS"}
    assert append.json() == {"majorDimension": "ROWS", "values": [["Linus", "linus@example.com"]]}
    assert google_server.seen("GET", f"{VALUES}/Sheet1!1:1")
    assert google_server.sheets[SHEET_ID]["Sheet1"][4] == ["Linus", "linus@example.com"]


async def test_append_explicit_values_and_fields_per_item(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    seed(google_server, ORDERS)
    creds = sa_creds(google_server, sa_pem)
    rows = await run_node(
        "google_sheets.append_rows",
        {
            "spreadsheet_id": SHEET_ID,
            "values": [["x", 1, True], ["y", {"a": 1}, None]],
            "value_input": "RAW",
            "insert_rows": False,
        },
        creds,
    )
    assert output(rows)[0]["updated_range"] == "Sheet1!A5:C6"
    [append] = google_server.seen("POST", f"{VALUES}/Sheet1:append")
    assert append.query["valueInputOption"] == "RAW"
    assert append.query["insertDataOption"] == "OVERWRITE"
    assert append.json()["values"] == [["x", 1, True], ["y", '{"a": 1}', ""]]
    # fields from expressions, one row per item
    per_item = await run_node(
        "google_sheets.append_rows",
        {"spreadsheet_id": SHEET_ID, "fields": {"Name": "{{ json.who }}", "Amount": 7}},
        creds,
        items=[{"who": "Ken"}, {"who": "Barbara"}],
    )
    assert [i["updated_range"] for i in output(per_item)] == ["Sheet1!A7:C7", "Sheet1!A8:C8"]
    assert google_server.sheets[SHEET_ID]["Sheet1"][7] == ["Barbara", "", 7]


async def test_update_range_update_row_and_clear(google_server: FakeGoogle, sa_pem: str) -> None:
    seed(google_server, ORDERS)
    creds = sa_creds(google_server, sa_pem)
    updated = await run_node(
        "google_sheets.update_range",
        {"spreadsheet_id": SHEET_ID, "range": "Sheet1!A3:C3", "values": ["Alan", "a@x.org", 3]},
        creds,
    )
    assert output(updated) == [
        {
            "updated_range": "Sheet1!A3:C3",
            "updated_rows": 1,
            "updated_columns": 3,
            "updated_cells": 3,
        }
    ]
    [put] = google_server.seen("PUT", f"{VALUES}/Sheet1!A3:C3")
    assert put.query == {"valueInputOption": "USER_ENTERED"}
    row = await run_node(
        "google_sheets.update_row",
        {
            "spreadsheet_id": SHEET_ID,
            "row_number": 4,
            "fields": {"Amount": 99, "Status": "paid"},
        },
        creds,
    )
    assert output(row) == [{"row_number": 4, "updated_cells": 1, "unmatched_fields": ["Status"]}]
    [batch] = google_server.seen("POST", f"{VALUES}:batchUpdate")
    assert batch.json()["data"] == [
        {"range": "Sheet1!C4", "majorDimension": "ROWS", "values": [[99]]}
    ]
    assert google_server.sheets[SHEET_ID]["Sheet1"][1:4] == [
        ["Ada", "ada@example.com", 42],
        ["Alan", "a@x.org", 3],
        ["Grace", "grace@example.com", 99],
    ]
    cleared = await run_node(
        "google_sheets.clear_range", {"spreadsheet_id": SHEET_ID, "range": "Sheet1!A2:C"}, creds
    )
    assert output(cleared) == [{"cleared_range": "Sheet1!A2:C1000"}]
    assert google_server.sheets[SHEET_ID]["Sheet1"][1] == ["", "", ""]


async def test_update_row_with_no_known_column_is_named(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    seed(google_server, ORDERS)
    run = await run_node(
        "google_sheets.update_row",
        {"spreadsheet_id": SHEET_ID, "row_number": 2, "fields": {"Nope": 1}},
        sa_creds(google_server, sa_pem),
    )
    assert failure(run) == (
        "params.fields: no column of Sheet1 is named Nope (columns: Name, Email, Amount)"
    )


async def test_googles_errors_are_named(google_server: FakeGoogle, sa_pem: str) -> None:
    creds = sa_creds(google_server, sa_pem)
    bad_range = await run_node(
        "google_sheets.read_rows", {"spreadsheet_id": SHEET_ID, "range": "Nope!A1:B2"}, creds
    )
    assert failure(bad_range) == (
        f"Google Sheets answered HTTP 400 to GET {VALUES}/Nope!A1:B2: "
        "INVALID_ARGUMENT: Unable to parse range: Nope!A1:B2"
    )
    missing = await run_node(
        "google_sheets.read_rows", {"spreadsheet_id": "1NoSuchSpreadsheet0000"}, creds
    )
    message = failure(missing)
    assert "HTTP 404" in message and "NOT_FOUND: Requested entity was not found." in message
    too_many = await run_node(
        "google_sheets.update_range",
        {"spreadsheet_id": SHEET_ID, "range": "Sheet1!A2:B2", "values": [[1], [2]]},
        creds,
    )
    assert "tried writing to row [3]" in failure(too_many)


async def signed_in(creds: Any) -> None:
    """The token fetched first (injected answers are for the Sheets requests)."""
    await GOOGLE_SHEETS.connect(creds, creds.integration_id)


async def test_429_and_503_are_retried_on_reads(google_server: FakeGoogle, sa_pem: str) -> None:
    seed(google_server, ORDERS)
    creds = sa_creds(google_server, sa_pem)
    await signed_in(creds)
    google_server.inject(
        Answer(
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Quota exceeded for quota metric 'Read requests'",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
            {"Retry-After": "0"},
        ),
        Answer(
            503,
            {
                "error": {
                    "code": 503,
                    "message": "The service is currently unavailable.",
                    "status": "UNAVAILABLE",
                }
            },
            {"Retry-After": "0"},
        ),
    )
    run = await run_node("google_sheets.read_rows", {"spreadsheet_id": SHEET_ID}, creds)
    assert len(output(run)) == 2
    assert len(google_server.seen("GET", f"{VALUES}/Sheet1")) == 3


async def test_an_append_is_not_repeated_after_a_503(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    """The row may have been written: a retry inside the step could write it twice."""
    seed(google_server, ORDERS)
    creds = sa_creds(google_server, sa_pem)
    await signed_in(creds)
    google_server.inject(
        Answer(200, {"range": "Sheet1!A1:Z1", "majorDimension": "ROWS", "values": [["Name"]]}),
        Answer(503, {"error": {"code": 503, "message": "Backend Error", "status": "UNAVAILABLE"}}),
    )
    run = await run_node(
        "google_sheets.append_rows", {"spreadsheet_id": SHEET_ID}, creds, items=[{"Name": "Z"}]
    )
    assert "HTTP 503" in failure(run) and "UNAVAILABLE: Backend Error" in failure(run)
    assert len(google_server.seen("POST", f"{VALUES}/Sheet1:append")) == 1


async def test_connection_test_reports_the_service_account(
    google_server: FakeGoogle, sa_pem: str
) -> None:
    tester = registry.tester("google_sheets")
    assert tester is not None
    ok, message = await tester(sa_creds(google_server, sa_pem))
    assert ok and message.startswith(f"signed in as the service account {CLIENT_EMAIL}")
    ok, message = await tester(sa_creds(google_server, other_pem()))
    assert not ok and message.endswith("invalid_grant: Invalid JWT Signature.")

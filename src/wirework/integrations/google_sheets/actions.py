"""Google Sheets actions (API v4, ``spreadsheets.values``): ``google_sheets.read_rows``,
``append_rows``, ``update_range``, ``update_row`` and ``clear_range``.

Ranges are in A1 notation: ``Sheet1`` (the whole sheet), ``Sheet1!A1:D50``, ``'My sheet'!A:D``,
or cells alone (the first sheet). Rows become objects by the header row (the range's first
row when reading, the sheet's row 1 when writing)."""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field

from wirework.integrations.google_sheets.credentials import (
    GOOGLE_SHEETS,
    GoogleSheetsCredentials,
)
from wirework.sdk.integration import ActionContext, ActionParams, ServiceClient
from wirework.sdk.node import Item, NodeError

SPREADSHEET_ID = r"^[A-Za-z0-9_-]{10,200}$"
CELLS = re.compile(r"^(\$?[A-Za-z]{0,3})(\$?[0-9]{0,7})(?::(\$?[A-Za-z]{0,3})(\$?[0-9]{0,7}))?$")

Ctx = ActionContext[GoogleSheetsCredentials]
ValueInput = Literal["USER_ENTERED", "RAW"]


# --------------------------------------------------------------------------- A1 notation


def split_range(a1: str) -> tuple[str | None, str | None]:
    """``(sheet, cells)`` of an A1 range: ``'My sheet'!A1:B2`` → ("'My sheet'", "A1:B2");
    ``Sheet1`` → ("Sheet1", None); ``A1:B2`` → (None, "A1:B2")."""
    a1 = a1.strip()
    if "!" in a1:
        sheet, cells = a1.rsplit("!", 1)
        return sheet, cells or None
    if (CELLS.match(a1) and any(c.isdigit() for c in a1)) or re.match(r"^[A-Za-z]{1,3}:", a1):
        return None, a1
    return a1, None


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def column_index(letters: str) -> int:
    out = 0
    for char in letters.upper().lstrip("$"):
        out = out * 26 + ord(char) - 64
    return out - 1


def _start(cells: str | None) -> tuple[int, int]:
    """(first column index, first row number) of a cells part (A1 when not given)."""
    match = CELLS.match(cells or "")
    if not match:
        return 0, 1
    col, row = match.group(1).lstrip("$"), match.group(2).lstrip("$")
    return (column_index(col) if col else 0), (int(row) if row else 1)


def _in(sheet: str | None, cells: str) -> str:
    return f"{sheet}!{cells}" if sheet else cells


def _header_range(a1: str) -> str:
    """Row 1 of the range's sheet, within the range's columns when it names them."""
    sheet, cells = split_range(a1)
    match = CELLS.match(cells or "")
    if match and match.group(1) and match.group(3):
        return _in(sheet, f"{match.group(1)}1:{match.group(3)}1")
    return _in(sheet, "1:1")


def values_path(spreadsheet_id: str, a1: str, suffix: str = "") -> str:
    encoded = quote(a1, safe="!:$'")
    return f"/v4/spreadsheets/{spreadsheet_id}/values/{encoded}{suffix}"


# --------------------------------------------------------------------------- values


def cell(value: Any) -> Any:
    """An item's value as a cell: numbers, text and booleans as they are, nothing as an
    empty cell, objects and lists as JSON."""
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def header_names(row: list[Any]) -> list[str]:
    """The header row's names; an empty one is its column letter, repeats get ``_2``…"""
    names: list[str] = []
    for i, raw in enumerate(row):
        name = str(raw).strip() or column_letters(i)
        base, n = name, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


async def read_header(client: ServiceClient, spreadsheet_id: str, a1: str) -> list[str]:
    found = await client.json("GET", values_path(spreadsheet_id, _header_range(a1)))
    rows = found.get("values") or []
    names = header_names(rows[0]) if rows else []
    if not names:
        raise NodeError(
            f"{GOOGLE_SHEETS.display_name}: {_header_range(a1)} has no header row: put the "
            "column names in row 1, or give the values in column order",
            retryable=False,
        )
    return names


def by_header(header: list[str], fields: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """A row in the header's order (missing fields empty) and the fields it has no column
    for."""
    row = [cell(fields.get(name)) for name in header]
    while row and row[-1] == "":
        row.pop()
    return row, sorted(k for k in fields if k not in header)


def as_rows(values: list[Any]) -> list[list[Any]]:
    """A list of rows, or one row (a list of cell values)."""
    if values and all(isinstance(v, list) for v in values):
        return [[cell(c) for c in row] for row in values]
    return [[cell(c) for c in values]]


# --------------------------------------------------------------------------- read


class ReadRows(ActionParams):
    """Read a range (GET …/values/{range}); the first row names the columns."""

    spreadsheet_id: str = Field(
        pattern=SPREADSHEET_ID,
        description="Spreadsheet id: the part of its URL between /d/ and /edit",
    )
    range: str = Field(
        default="Sheet1",
        min_length=1,
        max_length=500,
        description="A1 range, e.g. Sheet1, Sheet1!A1:F200 or 'Orders 2026'!A:F",
    )
    header_row: bool = Field(
        default=True,
        description="The range's first row holds column names: one object per row. Off: "
        "one item {row, values} per row with the raw array",
    )
    value_render: Literal["FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA"] = Field(
        default="FORMATTED_VALUE",
        description="Values as shown (FORMATTED_VALUE), as numbers (UNFORMATTED_VALUE) or the "
        "formulas",
    )
    skip_empty_rows: bool = Field(default=True, description="Leave out rows with no value")
    row_number_field: str | None = Field(
        default="row_number",
        max_length=100,
        description="Add each row's sheet row number under this name (for update_row); "
        "empty to leave it out",
    )


@GOOGLE_SHEETS.action(
    "read_rows",
    params=ReadRows,
    description="Read rows of a range; one item per row (an object by the header row, or "
    "{row, values})",
    example={"spreadsheet_id": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", "range": "Sheet1"},
)
async def read_rows(ctx: Ctx, params: ReadRows) -> list[Item]:
    found = await ctx.client.json(
        "GET",
        values_path(params.spreadsheet_id, params.range),
        query={"majorDimension": "ROWS", "valueRenderOption": params.value_render},
    )
    rows: list[list[Any]] = found.get("values") or []
    _, first_row = _start(split_range(str(found.get("range") or params.range))[1])
    numbered = list(enumerate(rows, start=first_row))
    out: list[Item] = []
    if not params.header_row:
        for number, row in numbered:
            if params.skip_empty_rows and not any(v != "" for v in row):
                continue
            out.append({"row": number, "values": row})
        return out
    if not numbered:
        return []
    header = header_names(numbered[0][1])
    for number, row in numbered[1:]:
        if params.skip_empty_rows and not any(v != "" for v in row):
            continue
        item: Item = {name: (row[i] if i < len(row) else "") for i, name in enumerate(header)}
        if params.row_number_field:
            item[params.row_number_field] = number
        out.append(item)
    return out


# --------------------------------------------------------------------------- append


class AppendRows(ActionParams):
    """Append after the table in a range (POST …/values/{range}:append): per item, its
    fields by the header row (row 1), or the values given."""

    spreadsheet_id: str = Field(pattern=SPREADSHEET_ID, description="Spreadsheet id")
    range: str = Field(
        default="Sheet1",
        min_length=1,
        max_length=500,
        description="The sheet or table to append to, e.g. Sheet1 or Sheet1!A:F",
    )
    fields: dict[str, Any] | None = Field(
        default=None,
        description="Column name → value, placed by the header row (row 1); columns not "
        "given stay empty. Neither this nor values: the incoming item's fields",
    )
    values: list[Any] | None = Field(
        default=None,
        description="Values in column order (one row), or a list of rows; no header needed",
    )
    value_input: ValueInput = Field(
        default="USER_ENTERED",
        description="USER_ENTERED: parsed like typed in (numbers, dates, formulas); RAW: "
        "stored as given",
    )
    insert_rows: bool = Field(
        default=True,
        description="Insert new rows (INSERT_ROWS); off: write over empty rows after the "
        "table (OVERWRITE)",
    )


@GOOGLE_SHEETS.action(
    "append_rows",
    params=AppendRows,
    description="Append a row per item (by the header row, or values in column order); "
    "emits {spreadsheet_id, updated_range, updated_rows, unmatched_fields}",
    example={
        "spreadsheet_id": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
        "range": "Sheet1",
        "fields": {"Name": "Ada", "Email": "ada@example.com"},
    },
)
async def append_rows(ctx: Ctx, params: AppendRows) -> Item:
    if params.fields is not None and params.values is not None:
        raise NodeError("params: give fields or values, not both", retryable=False)
    unmatched: list[str] = []
    if params.values is not None:
        rows = as_rows(params.values)
    else:
        fields = params.fields if params.fields is not None else dict(ctx.item)
        header = await read_header(ctx.client, params.spreadsheet_id, params.range)
        row, unmatched = by_header(header, fields)
        rows = [row]
    done = await ctx.client.json(
        "POST",
        values_path(params.spreadsheet_id, params.range, ":append"),
        query={
            "valueInputOption": params.value_input,
            "insertDataOption": "INSERT_ROWS" if params.insert_rows else "OVERWRITE",
        },
        json={"majorDimension": "ROWS", "values": rows},
    )
    updates = done.get("updates") or {}
    return {
        "spreadsheet_id": params.spreadsheet_id,
        "table_range": done.get("tableRange"),
        "updated_range": updates.get("updatedRange"),
        "updated_rows": updates.get("updatedRows", 0),
        "unmatched_fields": unmatched,
    }


# --------------------------------------------------------------------------- update


class UpdateRange(ActionParams):
    """Write values into a range (PUT …/values/{range})."""

    spreadsheet_id: str = Field(pattern=SPREADSHEET_ID, description="Spreadsheet id")
    range: str = Field(
        min_length=1,
        max_length=500,
        description="A1 range to write from, e.g. Sheet1!B2 or Sheet1!A5:D5",
    )
    values: list[Any] = Field(
        min_length=1, description="Values of one row, or a list of rows (top to bottom)"
    )
    value_input: ValueInput = Field(
        default="USER_ENTERED", description="USER_ENTERED (parsed like typed in) or RAW"
    )


def _updated(done: dict[str, Any]) -> Item:
    return {
        "updated_range": done.get("updatedRange"),
        "updated_rows": done.get("updatedRows", 0),
        "updated_columns": done.get("updatedColumns", 0),
        "updated_cells": done.get("updatedCells", 0),
    }


@GOOGLE_SHEETS.action(
    "update_range",
    params=UpdateRange,
    description="Write values into a range; emits {updated_range, updated_rows, "
    "updated_columns, updated_cells}",
    example={
        "spreadsheet_id": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
        "range": "Sheet1!A2:C2",
        "values": ["Ada", "ada@example.com", "paid"],
    },
)
async def update_range(ctx: Ctx, params: UpdateRange) -> Item:
    done = await ctx.client.json(
        "PUT",
        values_path(params.spreadsheet_id, params.range),
        query={"valueInputOption": params.value_input},
        json={"range": params.range, "majorDimension": "ROWS", "values": as_rows(params.values)},
    )
    return _updated(done)


class UpdateRow(ActionParams):
    """Set some cells of one row by column name (the header row, row 1): one
    values:batchUpdate, the row's other cells untouched."""

    spreadsheet_id: str = Field(pattern=SPREADSHEET_ID, description="Spreadsheet id")
    sheet: str = Field(
        default="Sheet1", min_length=1, max_length=200, description="Sheet (tab) name"
    )
    row_number: int = Field(
        ge=2, le=10_000_000, description="The row to change (read_rows emits it as row_number)"
    )
    fields: dict[str, Any] = Field(
        min_length=1, description='Column name → new value, e.g. {"Status": "done"}'
    )
    value_input: ValueInput = Field(
        default="USER_ENTERED", description="USER_ENTERED (parsed like typed in) or RAW"
    )


def quoted_sheet(name: str) -> str:
    """A sheet name as A1 notation wants it: quoted unless it is a plain word."""
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name) or (name.startswith("'") and name.endswith("'")):
        return name
    return "'" + name.replace("'", "''") + "'"


@GOOGLE_SHEETS.action(
    "update_row",
    params=UpdateRow,
    description="Set cells of one row by column name; emits {row_number, updated_cells, "
    "unmatched_fields}",
    example={
        "spreadsheet_id": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
        "sheet": "Sheet1",
        "row_number": 5,
        "fields": {"Status": "done"},
    },
)
async def update_row(ctx: Ctx, params: UpdateRow) -> Item:
    sheet = quoted_sheet(params.sheet)
    header = await read_header(ctx.client, params.spreadsheet_id, sheet)
    data = [
        {
            "range": f"{sheet}!{column_letters(header.index(name))}{params.row_number}",
            "majorDimension": "ROWS",
            "values": [[cell(value)]],
        }
        for name, value in params.fields.items()
        if name in header
    ]
    unmatched = sorted(k for k in params.fields if k not in header)
    if not data:
        raise NodeError(
            f"params.fields: no column of {params.sheet} is named {', '.join(unmatched)} "
            f"(columns: {', '.join(header)})",
            retryable=False,
        )
    done = await ctx.client.json(
        "POST",
        f"/v4/spreadsheets/{params.spreadsheet_id}/values:batchUpdate",
        json={"valueInputOption": params.value_input, "data": data},
        idempotent=True,  # setting cells to values: the same on a retry
    )
    return {
        "row_number": params.row_number,
        "updated_cells": done.get("totalUpdatedCells", 0),
        "unmatched_fields": unmatched,
    }


# --------------------------------------------------------------------------- clear


class ClearRange(ActionParams):
    """Clear the values of a range, keeping its formatting (POST …/values/{range}:clear)."""

    spreadsheet_id: str = Field(pattern=SPREADSHEET_ID, description="Spreadsheet id")
    range: str = Field(
        min_length=1, max_length=500, description="A1 range to clear, e.g. Sheet1!A2:F"
    )


@GOOGLE_SHEETS.action(
    "clear_range",
    params=ClearRange,
    description="Clear a range's values; emits {cleared_range}",
    example={
        "spreadsheet_id": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms",
        "range": "Sheet1!A2:F",
    },
)
async def clear_range(ctx: Ctx, params: ClearRange) -> Item:
    done = await ctx.client.json(
        "POST",
        values_path(params.spreadsheet_id, params.range, ":clear"),
        json={},
        idempotent=True,  # clearing twice clears the same cells
    )
    return {"cleared_range": done.get("clearedRange")}

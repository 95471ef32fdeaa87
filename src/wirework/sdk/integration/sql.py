"""Helpers for native SQL integrations (PostgreSQL, MySQL/MariaDB): JSON-safe values,
identifier checks, TLS contexts that verify the server's name while connecting to the checked
address, and the per-integration pools of native connections.

Values never go into SQL text: the integrations pass them as bind parameters. Only
identifiers (table and column names) are written into statements, after :func:`identifier`
has checked them against a strict pattern and the dialect has quoted them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import decimal
import enum
import hashlib
import ipaddress
import json
import math
import re
import ssl
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import Field

from wirework.sdk.node import NodeError

TlsMode = Literal["disable", "require", "verify"]
# A plain identifier: letters, digits, _ and $ (not first); up to 63 characters (PostgreSQL's
# limit; MySQL allows 64). Dotted names (schema.table) are checked part by part.
_IDENTIFIER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def identifier(name: str, what: str, *, dotted: bool = False) -> list[str]:
    """The parts of an identifier (``schema.table`` when ``dotted``), or a NodeError naming
    ``what``: only letters, digits, ``_`` and ``$``, not starting with a digit or ``$``."""
    parts = name.split(".") if dotted else [name]
    if len(parts) > 2:
        raise NodeError(
            f"{what}: {name!r} has too many dots (schema.table at most)", retryable=False
        )
    for part in parts:
        if (
            not part
            or len(part) > 63
            or part[0].isdigit()
            or part[0] == "$"
            or not set(part) <= _IDENTIFIER_CHARS
        ):
            raise NodeError(
                f"{what}: {name!r} is not a valid name (letters, digits, _ and $, up to 63 "
                "characters, not starting with a digit)",
                retryable=False,
            )
    return parts


def json_safe(value: Any) -> Any:
    """A database value as JSON: Decimal as a string (exact), dates and times in ISO 8601,
    intervals in seconds, UUIDs and network addresses as strings, bytes in base64, infinite
    and NaN floats as strings; lists, tuples, sets and mappings recursively."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (uuid.UUID, ipaddress._BaseAddress, ipaddress._BaseNetwork)):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): json_safe(v) for k, v in row.items()}


def as_json_text(value: Any) -> Any:
    """Objects and lists as JSON text (for drivers that cannot send them), others as they are."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return value


# --------------------------------------------------------------------------- statements

# Query actions' shared parameters (declare them after the dialect's own: ``on_limit: OnLimit
# = "error"``, ``output: QueryOutput = "rows"``).
#: The most rows a query node may read in one step, and rows per INSERT statement.
MAX_ROWS_CEILING = 1_000_000
MAX_BATCH_ROWS = 1000

OnLimit = Annotated[
    Literal["error", "truncate"],
    Field(
        description="More rows than max_rows: fail the step (error) or keep the first "
        "max_rows (truncate; output=single says truncated: true)"
    ),
]
QueryOutput = Annotated[
    Literal["rows", "single"],
    Field(description="rows: one item per row; single: one item {rows, row_count, truncated}"),
]
# Insert and update actions' shared parameters.
InsertColumns = Annotated[
    list[str] | None,
    Field(
        description="Only these fields (columns); default: every field of the rows (a row "
        "without one gets the column's DEFAULT)"
    ),
]
UpdateKey = Annotated[
    list[str],
    Field(
        min_length=1,
        description='Key columns: rows whose values equal the data\'s are updated, e.g. ["id"]',
    ),
]
UpdateData = Annotated[
    dict[str, Any] | None,
    Field(description="Column values (key columns included); default: the input item"),
]
UpdateColumns = Annotated[
    list[str] | None,
    Field(description="Columns to set; default: every field of data but the key"),
]

Quote = Callable[..., str]
"""The dialect's ``quote(name, what, *, dotted=False)``: an identifier checked and quoted."""
Placeholder = Callable[[int], str]
"""The dialect's placeholder of the n-th value (from 1): ``$n`` or ``%s``."""


def too_many_rows(service: str, max_rows: int) -> NodeError:
    """The error of a query that returned more than ``max_rows`` rows (on_limit=error)."""
    return NodeError(
        f"{service}: the query returned more than max_rows={max_rows:,} rows: raise max_rows "
        "(at most 1,000,000), add a LIMIT or a WHERE, or set on_limit=truncate",
        retryable=False,
        details={"service": service, "max_rows": max_rows},
    )


def query_result(
    rows: list[dict[str, Any]], truncated: bool, output: str
) -> list[dict[str, Any]] | dict[str, Any]:
    """A query's rows as the action emits them (output=single: one item)."""
    if output == "single":
        return {"rows": rows, "row_count": len(rows), "truncated": truncated}
    return rows


def insert_columns(rows: list[dict[str, Any]], columns: list[str] | None) -> list[str]:
    """``columns``, or every field of the rows in order of first appearance."""
    if columns:
        return columns
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def values_list(
    rows: list[dict[str, Any]],
    columns: list[str],
    values: list[Any],
    placeholder: Placeholder,
    convert: Callable[[Any], Any] = lambda v: v,
) -> str:
    """``(…), (…)`` of ``rows`` for INSERT … VALUES: a placeholder per value (appended to
    ``values``, through ``convert``), DEFAULT where a row has no such column."""
    tuples = []
    for row in rows:
        cells = []
        for column in columns:
            if column in row:
                values.append(convert(row[column]))
                cells.append(placeholder(len(values)))
            else:
                cells.append("DEFAULT")
        tuples.append("(" + ", ".join(cells) + ")")
    return ", ".join(tuples)


def update_statement(
    table: str,
    data: Mapping[str, Any],
    key: list[str],
    columns: list[str] | None,
    quote: Quote,
    placeholder: Placeholder,
    convert: Callable[[Any], Any] = lambda v: v,
) -> tuple[str, list[Any]]:
    """``UPDATE table SET … WHERE key = …`` and its values, from ``data`` (the key columns'
    values included); NodeErrors naming the parameter when the data lacks a key or column
    value or has nothing to set. A None key value matches with IS NULL."""
    missing = [k for k in key if k not in data]
    if missing:
        raise NodeError(
            f"params.key: the data has no {', '.join(missing)} (the key columns' values)",
            retryable=False,
        )
    columns = columns or [c for c in data if c not in key]
    absent = [c for c in columns if c not in data]
    if absent:
        raise NodeError(f"params.columns: the data has no {', '.join(absent)}", retryable=False)
    if not columns:
        raise NodeError("params.data: nothing to set besides the key columns", retryable=False)
    values: list[Any] = []
    sets = []
    for column in columns:
        values.append(convert(data[column]))
        sets.append(f"{quote(column, 'params.columns')} = {placeholder(len(values))}")
    where = []
    for column in key:
        if data[column] is None:
            where.append(f"{quote(column, 'params.key')} IS NULL")
        else:
            values.append(convert(data[column]))
            where.append(f"{quote(column, 'params.key')} = {placeholder(len(values))}")
    name = quote(table, "params.table", dotted=True)
    # Names checked and quoted; every value is a parameter.
    sql = f"UPDATE {name} SET {', '.join(sets)} WHERE {' AND '.join(where)}"  # noqa: S608
    return sql, values


# --------------------------------------------------------------------------- TLS


class _NamedContext(ssl.SSLContext):
    """An SSL context that sends (and checks) ``server_name`` whatever name the driver
    passes: the drivers connect to the checked IP address, which must not become the name."""

    server_name: str | None = None

    def wrap_bio(  # type: ignore[override]
        self,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        server_side: bool = False,
        server_hostname: str | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLObject:
        return super().wrap_bio(
            incoming, outgoing, server_side, self.server_name or server_hostname, session
        )

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        if not kwargs.get("server_side"):
            kwargs["server_hostname"] = self.server_name or kwargs.get("server_hostname")
        return super().wrap_socket(sock, *args, **kwargs)


_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def normalize_pem(text: str) -> str:
    """PEM certificates with their lines restored (a one-line form field loses the line
    breaks; OpenSSL needs them)."""
    blocks = []
    for body in _PEM_BLOCK.findall(text):
        data = "".join(body.split())
        lines = [data[i : i + 64] for i in range(0, len(data), 64)]
        blocks.append(
            "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        )
    return "".join(blocks) or text


def tls_context(mode: TlsMode, host: str, ca_pem: str | None = None) -> ssl.SSLContext | None:
    """None for ``disable``; ``require``: encrypted, the certificate not checked;
    ``verify``: the certificate checked against ``ca_pem`` (or the system's CAs) and the
    name ``host``."""
    if mode == "disable":
        return None
    context = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.server_name = host
    if mode == "require":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    try:
        if ca_pem and ca_pem.strip():
            context.load_verify_locations(cadata=normalize_pem(ca_pem))
        else:
            context.load_default_certs()
    except ssl.SSLError as exc:
        raise NodeError(
            f"credentials.tls_ca: not a valid PEM certificate ({exc})", retryable=False
        ) from None
    return context


# --------------------------------------------------------------------------- pools


@dataclass
class _Pool:
    fingerprint: str
    pool: Any
    close: Callable[[Any], Awaitable[None]]


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, int | None], _Pool]]
_pools = weakref.WeakKeyDictionary()


def fingerprint(*values: Any) -> str:
    """A digest of what a pool was opened with (credentials, resolved address): a change opens
    a new pool. Holds no secret in clear."""
    text = json.dumps([json_safe(v) for v in values], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


async def native_pool(
    service: str,
    integration_id: int | None,
    fingerprint: str,
    open_pool: Callable[[], Awaitable[Any]],
    close_pool: Callable[[Any], Awaitable[None]],
) -> Any:
    """The connection pool of one integration on this event loop (opened by ``open_pool``
    when there is none or the credentials changed; the old one is closed). Closed by
    :func:`~wirework.sdk.integration.client.close_pools` with the HTTP pools."""
    loop = asyncio.get_running_loop()
    pools = _pools.setdefault(loop, {})
    key = (service, integration_id)
    current = pools.get(key)
    if current is not None and current.fingerprint == fingerprint:
        return current.pool
    if current is not None:
        pools.pop(key, None)
        await _quietly(current)
    pool = await open_pool()
    pools[key] = _Pool(fingerprint, pool, close_pool)
    return pool


async def _quietly(entry: _Pool) -> None:
    # A pool that cannot close cleanly is dropped anyway.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(entry.close(entry.pool), 10)


async def close_native_pools() -> None:
    """Close this event loop's native pools."""
    pools = _pools.pop(asyncio.get_running_loop(), {})
    for entry in pools.values():
        await _quietly(entry)


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every non-empty secret replaced by ``***``."""
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return text

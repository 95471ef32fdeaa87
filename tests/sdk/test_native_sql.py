"""wirework.sdk.integration.sql: JSON-safe values, identifiers, the TLS context that checks
the host's name while the driver connects to the checked address, and the native pools."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import ssl
import uuid

import pytest

from tests.certificates import self_signed
from wirework.sdk.integration import close_pools
from wirework.sdk.integration.sql import (
    _pools,
    identifier,
    insert_columns,
    json_safe,
    native_pool,
    tls_context,
    update_statement,
    values_list,
)
from wirework.sdk.node import NodeError


def test_json_safe() -> None:
    assert json_safe(
        {
            "d": decimal.Decimal("1.10"),
            "t": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
            "i": dt.timedelta(minutes=1),
            "u": uuid.UUID(int=1),
            "b": b"\x00\x01",
            "f": float("inf"),
            "s": {1, 2},
        }
    ) == {
        "d": "1.10",
        "t": "2024-01-02T03:04:05+00:00",
        "i": 60.0,
        "u": "00000000-0000-0000-0000-000000000001",
        "b": "AAE=",
        "f": "inf",
        "s": [1, 2],
    }


def test_identifiers() -> None:
    assert identifier("public.orders", "t", dotted=True) == ["public", "orders"]
    for bad in ("", "1a", "a-b", 'a"b', "a`b", "a.b.c", "x" * 64, "a b"):
        with pytest.raises(NodeError):
            identifier(bad, "params.table", dotted=True)


async def test_tls_verify_checks_the_host_name_not_the_address() -> None:
    certificate = self_signed("db.test.example", ip=None)
    pem = certificate.cert_pem
    server_context = certificate.server_context()
    seen: list[str | None] = []

    def sni(sock: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        seen.append(name)

    server_context.sni_callback = sni  # type: ignore[assignment]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        # The driver connects to the address and passes it as the name: ours is used.
        one_line = pem.replace("\n", " ")  # what a one-line form field keeps
        context = tls_context("verify", "db.test.example", one_line)
        assert context is not None
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="127.0.0.1"
        )
        writer.close()
        assert seen == ["db.test.example"]
        wrong = tls_context("verify", "other.test.example", pem)
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", port, ssl=wrong, server_hostname="x")
        loose = tls_context("require", "anything.example")  # encrypted, not checked
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=loose)
        writer.close()
    finally:
        server.close()
    assert tls_context("disable", "db.test.example") is None
    with pytest.raises(NodeError, match=r"credentials\.tls_ca"):
        tls_context("verify", "db.test.example", "-----BEGIN CERTIFICATE-----\nnope\n")


async def test_native_pools_are_reused_replaced_and_closed() -> None:
    closed: list[str] = []

    async def close(pool: str) -> None:
        closed.append(pool)

    async def opener(name: str) -> str:
        return name

    first = await native_pool("S", 1, "a", lambda: opener("p1"), close)
    again = await native_pool("S", 1, "a", lambda: opener("p2"), close)
    assert first == again == "p1" and closed == []
    changed = await native_pool("S", 1, "b", lambda: opener("p3"), close)  # new credentials
    assert changed == "p3" and closed == ["p1"]
    await close_pools()
    assert closed == ["p1", "p3"] and asyncio.get_running_loop() not in _pools


def test_statement_builders() -> None:
    def quote(name: str, what: str, *, dotted: bool = False) -> str:
        return ".".join(f'"{p}"' for p in identifier(name, what, dotted=dotted))

    values: list[object] = []
    rows = [{"a": 1, "b": 2}, {"b": 3}]
    assert values_list(rows, ["a", "b"], values, lambda n: f"${n}") == "($1, $2), (DEFAULT, $3)"
    assert values == [1, 2, 3]
    data = {"id": 7, "tenant": None, "name": "x"}
    sql, args = update_statement("public.t", data, ["id", "tenant"], None, quote, lambda n: "%s")
    assert sql == 'UPDATE "public"."t" SET "name" = %s WHERE "id" = %s AND "tenant" IS NULL'
    assert args == ["x", 7]
    with pytest.raises(NodeError, match=r"params\.key: the data has no id"):
        update_statement("t", {"name": "x"}, ["id"], None, quote, lambda n: "%s")
    with pytest.raises(NodeError, match=r"params\.data: nothing to set"):
        update_statement("t", {"id": 1}, ["id"], None, quote, lambda n: "%s")
    assert insert_columns([{"a": 1}, {"b": 2, "a": 3}], None) == ["a", "b"]

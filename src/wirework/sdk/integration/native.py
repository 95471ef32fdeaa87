"""Services not spoken over the SDK's HTTP client: databases, SMTP and IMAP, Redis, and vendor
SDKs with their own transport (boto3, Azure's). Their actions open their own connection, after
asking :func:`checked_address` where they may connect.

An integration declares itself native with ``base_url=None`` and a :class:`Native` that says
how to point its credentials at a host and port (the conformance suite uses it to aim every
action at a closed local port and check that the failure is a clear message)::

    POSTGRES = IntegrationDefinition(
        "postgres", "PostgreSQL", credentials=PostgresCredentials, auth=no_auth(),
        base_url=None, native=Native(point_at=lambda v, host, port: {**v, "host": host,
        "port": port}), ...
    )

    @POSTGRES.action("query", params=Query, description="…")
    async def query(ctx: ActionContext[PostgresCredentials], params: Query) -> list[Item]:
        address = await checked_address("PostgreSQL", ctx.credentials.host, ctx.credentials.port)
        conn = await asyncpg.connect(host=address, server_settings=…)  # TLS: the original
        …                                                               # host name for SNI

Errors: raise :class:`~wirework.sdk.node.NodeError` (or :func:`service_failure`) naming the
service and its own message; never let a driver's exception (which may quote a connection
string) reach the step record unmapped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from wirework.sdk.node import NodeError
from wirework.sdk.outbound.addresses import BlockedAddress, policy, resolve_checked

PointAt = Callable[[dict[str, Any], str, int], dict[str, Any]]


@dataclass(frozen=True)
class Native:
    """How a native integration is aimed at an address: ``point_at(values, host, port)``
    returns the credential values changed to connect to ``host:port`` (e.g. set ``host`` and
    ``port``, or ``endpoint_url`` to ``http://host:port``). None: it connects nowhere (it
    runs in the process, e.g. a local model), so there is no address to aim it at."""

    point_at: PointAt | None


async def checked_address(service: str, host: str, port: int) -> str:
    """The IP address to connect to for ``host:port`` if the outbound policy allows it
    (public addresses, or the admin's ``WIREWORK_OUTBOUND_ALLOW``); connect to that address,
    not the name again, so the check holds (use ``host`` for TLS server names). A NodeError
    naming the service otherwise."""
    try:
        return await resolve_checked(host, port, policy())
    except BlockedAddress as exc:
        raise NodeError(f"{service}: {exc}", retryable=False) from None
    except httpx.ConnectError as exc:
        raise NodeError(f"{service}: {exc}", retryable=True) from None


def service_failure(
    service: str, what: str, message: str, *, retryable: bool = False, **details: Any
) -> NodeError:
    """``<service>: <what> failed: <message>`` with ``details.service`` set (and any other
    details given, e.g. ``code``)."""
    text = " ".join(str(message).split())[:1000] or "no message"
    return NodeError(
        f"{service}: {what} failed: {text}",
        retryable=retryable,
        details={"service": service, "service_message": text, **details},
    )

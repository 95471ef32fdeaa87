"""Credentials of native services reached at a host and port (databases, Redis, IMAP, SMTP):
a :class:`ServerCredentials` base with the host and port, the field types every such form
shares (TLS mode and CA, connect timeout), the host-name check of the mail services, and the
helpers their connections repeat (aiming at a local port, the TLS context of a private CA,
how a refused connection, a timeout or a TLS failure reads); and the check of an endpoint
URL in cloud credentials (AWS, Azure).

Form order: pydantic keeps an inherited field where the base declared it, and puts a
subclass's own fields after the base's. The base holds only what leads every form (host, then
port); a subclass redeclares ``port`` with its default (``port: ServerPort = 5432``: it keeps
second place) and declares the rest in its own order with the shared types (``tls: ServerTls
= "require"``, ``tls_ca: ServerTlsCa = None``, ``connect_timeout_s: ConnectTimeout = 10``),
so each form keeps its own order; see the postgres, mysql and redis integrations.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from wirework.sdk.integration.credentials import CredentialsModel
from wirework.sdk.integration.native import Native, service_failure
from wirework.sdk.integration.sql import TlsMode
from wirework.sdk.node import NodeError

ServerHost = Annotated[
    str,
    Field(
        min_length=1,
        description="Server host name or address (a private address must be allowed by the "
        "admin: WIREWORK_OUTBOUND_ALLOW)",
    ),
]
ServerPort = Annotated[int, Field(ge=1, le=65535, description="Server port")]
ServerTls = Annotated[
    TlsMode,
    Field(
        description="TLS: disable (plain), require (encrypted, certificate not checked) or "
        "verify (certificate checked against the CA and the host name)"
    ),
]
ServerTlsCa = Annotated[
    str | None,
    Field(description="CA certificate(s) in PEM for tls=verify (default: the system's CAs)"),
]
ConnectTimeout = Annotated[
    float, Field(gt=0, le=120, description="Seconds to wait for a connection")
]


class ServerCredentials(CredentialsModel):
    """A native service's host (checked against the outbound policy when connecting) and
    port; subclasses set the port's default (``port: ServerPort = 5432``), may set the host's
    example (``host: ServerHost = Field(examples=[…])``) and add the rest."""

    host: ServerHost = Field(examples=["db.acme.example"])
    port: ServerPort


def point_at(**overrides: Any) -> Native:
    """A :class:`Native` that aims credentials at ``host:port`` with ``overrides`` (e.g.
    ``tls="disable"``: the conformance suite's local port speaks no TLS)."""

    def aim(values: dict[str, Any], host: str, port: int) -> dict[str, Any]:
        return {**values, "host": host, "port": port, **overrides}

    return Native(point_at=aim)


def pool_failure(
    service: str,
    exc: BaseException,
    what: str,
    credentials: Any,
    pool_size: int,
) -> NodeError | None:
    """A timeout or a refused connection of a pooled SQL service as its message (naming
    ``connect_timeout_s`` or ``statement_timeout_s`` and the pool's size), else None."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return service_failure(
            service,
            what,
            f"timed out (connect_timeout_s is {credentials.connect_timeout_s:g}; or the "
            f"{pool_size} pooled connections of this integration stayed busy)"
            if what == "connect"
            else f"timed out (statement_timeout_s is {credentials.statement_timeout_s:g})",
            retryable=True,
        )
    if isinstance(exc, ConnectionRefusedError):
        return service_failure(
            service,
            what,
            f"connection refused by {credentials.host}:{credentials.port}",
            retryable=True,
        )
    return None


def plain_http_url(value: str | None, example: str) -> str | None:
    """A credential's endpoint URL: None when empty, else an http(s) URL with a host and no
    user, query or fragment (trailing slashes dropped); a ValueError (for a field validator)
    naming ``example`` otherwise."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s) URL such as {example}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must be a plain URL: no user, query or fragment")
    return value.strip().rstrip("/")


# --------------------------------------------------------------------------- mail servers


def _host_name(value: str) -> str:
    value = value.strip()
    if any(c in value for c in "/: \r\n") and not value.startswith("["):
        raise ValueError("a host name or IP address only (no scheme, port or path)")
    return value.strip("[]")


PrivateCa = Annotated[
    str | None,
    Field(
        description="PEM certificate(s) of a private CA to trust for this server (else the "
        "system's trusted CAs)"
    ),
]
"""A mail server's ``ca_pem`` (``ca_pem: PrivateCa = None``; see :func:`ca_context`)."""
StepTimeout = Annotated[
    float, Field(gt=0, le=600, description="Seconds to wait for the server at each step")
]
"""A mail server's ``timeout_s`` (``timeout_s: StepTimeout = 30``)."""

HostName = Annotated[str, Field(min_length=1, max_length=253), AfterValidator(_host_name)]
"""A host name or IP address only (no scheme, port or path; ``[v6]`` brackets dropped)."""

SECURITY_NAMES = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}
"""How a connection test names a mail server's ``security`` mode."""


def ca_context(service: str, ca_pem: str | None) -> ssl.SSLContext:
    """Certificates verified against the system CAs, or only against ``ca_pem``."""
    try:
        return ssl.create_default_context(cadata=ca_pem) if ca_pem else ssl.create_default_context()
    except (ssl.SSLError, ValueError) as exc:
        raise NodeError(
            f"{service}: credentials.ca_pem: not a PEM certificate ({exc})", retryable=False
        ) from None


def tls_failure(service: str, what: str, exc: BaseException, where: str) -> NodeError | None:
    """A TLS handshake or certificate error as ``TLS with <where> failed: <reason>``, else
    None."""
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
        return service_failure(service, what, f"TLS with {where} failed: {reason}")
    return None

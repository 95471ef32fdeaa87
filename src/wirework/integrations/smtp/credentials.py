"""SMTP's credentials (host, port, security mode, login, an optional private CA), how a
connection is opened (to the address the outbound policy allows, the host name kept for TLS),
how its failures read, and its connection test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import aiosmtplib
from pydantic import Field, SecretStr

from wirework.sdk.integration import (
    Connection,
    CredentialsModel,
    IntegrationDefinition,
    checked_address,
    no_auth,
    secret,
    service_failure,
)
from wirework.sdk.integration.server import (
    SECURITY_NAMES,
    HostName,
    PrivateCa,
    StepTimeout,
    ca_context,
    point_at,
    tls_failure,
)
from wirework.sdk.node import NodeError

SERVICE = "SMTP"
Security = Literal["starttls", "tls", "none"]


class SmtpCredentials(CredentialsModel):
    host: HostName = Field(description="SMTP server host name, e.g. smtp.example.com")
    port: int = Field(
        default=587,
        ge=1,
        le=65535,
        description="Port: 587 for STARTTLS (submission), 465 for implicit TLS, 25 for relays",
    )
    security: Security = Field(
        default="starttls",
        description="starttls: plain connection upgraded with STARTTLS (required, never "
        "skipped); tls: TLS from the first byte (port 465); none: no encryption (local "
        "relays only)",
    )
    username: str | None = Field(
        default=None, description="Login name (often the full address); empty: no login"
    )
    password: SecretStr | None = Field(
        default=None, description="Password or app password (Gmail, Outlook, iCloud need one)"
    )
    ca_pem: PrivateCa = None
    from_address: str | None = Field(
        default=None,
        description="Default sender, e.g. Acme Support <support@acme.example> (an action's "
        "from overrides it)",
    )
    timeout_s: StepTimeout = 30


def smtp_failure(what: str, exc: BaseException, where: str) -> NodeError:
    """An SMTP exception as ``SMTP: <what> failed: <code> <server's words> (host:port)``;
    4xx answers and lost connections are retryable, 5xx are not."""
    if isinstance(exc, NodeError):
        return exc
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in exc.recipients)
        temporary = all(400 <= e.code < 500 for e in exc.recipients)
        return service_failure(
            SERVICE,
            what,
            f"every recipient was refused: {refused} ({where})",
            retryable=temporary,
            code=exc.recipients[0].code if exc.recipients else None,
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return service_failure(
            SERVICE,
            what,
            f"the server answered {exc.code} {exc.message} ({where})",
            retryable=400 <= exc.code < 500,
            code=exc.code,
        )
    if (tls := tls_failure(SERVICE, what, exc, where)) is not None:
        return tls
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError | aiosmtplib.SMTPTimeoutError):
        return service_failure(SERVICE, what, f"{where} did not answer in time", retryable=True)
    if isinstance(exc, aiosmtplib.SMTPException | OSError | asyncio.TimeoutError):
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            text = exc.strerror
        return service_failure(SERVICE, what, f"{where}: {text}", retryable=True)
    return service_failure(SERVICE, what, f"{where}: {type(exc).__name__}: {exc}")


async def _socket_to(address: str, port: int, wait_s: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, (address, port)), wait_s
        )
    except BaseException:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def smtp_session(creds: SmtpCredentials, what: str) -> AsyncIterator[aiosmtplib.SMTP]:
    """A connected SMTP session (EHLO, TLS as configured, logged in), closed afterwards.
    Connects to the address the outbound policy checked; the host name is the TLS server
    name."""
    where = f"{creds.host}:{creds.port}"
    address = await checked_address(SERVICE, creds.host, creds.port)
    context = ca_context(SERVICE, creds.ca_pem) if creds.security != "none" else None
    client: aiosmtplib.SMTP | None = None
    stage = "connect"
    try:
        sock = await _socket_to(address, creds.port, creds.timeout_s)
        client = aiosmtplib.SMTP(
            hostname=creds.host,
            sock=sock,
            timeout=creds.timeout_s,
            use_tls=creds.security == "tls",
            start_tls=creds.security == "starttls",
            tls_context=context,
        )
        await client.connect()
        if creds.username:
            stage = "login"
            await client.login(creds.username, secret(creds.password))
    except Exception as exc:
        if client is not None:
            client.close()
        raise smtp_failure("login" if stage == "login" else what, exc, where) from None
    try:
        yield client
    except NodeError:
        raise
    except Exception as exc:
        raise smtp_failure(what, exc, where) from None
    finally:
        try:
            await client.quit()
        except Exception:
            client.close()


SMTP = IntegrationDefinition(
    "smtp",
    "SMTP",
    credentials=SmtpCredentials,
    auth=no_auth("SMTP AUTH (PLAIN/LOGIN) with username and password, after TLS"),
    description="Send e-mail (text and HTML, attachments, custom headers) through any SMTP "
    "server: your provider's, Amazon SES, Postmark, a company relay",
    icon="mail",
    category="Communication",
    docs="https://www.rfc-editor.org/rfc/rfc5321",
    base_url=None,
    native=point_at(security="none"),
    example_credentials={
        "host": "smtp.acme.example",
        "port": 587,
        "security": "starttls",
        "username": "robot@acme.example",
        "password": "app-password-example",
        "from_address": "Acme Robot <robot@acme.example>",
    },
)


@SMTP.connection_test
async def test_connection(connection: Connection[SmtpCredentials]) -> str:
    creds = connection.credentials
    async with smtp_session(creds, "connection test") as client:
        await client.noop()
        mode = SECURITY_NAMES[creds.security]
        who = f" as {creds.username}" if creds.username else ""
        return f"connected to {creds.host}:{creds.port} ({mode}){who}"

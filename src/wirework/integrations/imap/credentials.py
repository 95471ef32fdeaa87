"""IMAP's credentials (host, port, security mode, login, an optional private CA), a session
opened on the address the outbound policy allows (the host name kept for TLS), how its
failures read, and its connection test.

The stdlib's :mod:`imaplib` in a worker thread, not an asyncio client: it is complete
(STARTTLS, literals, UID commands), maintained with Python and has no dependencies; one poll
is a handful of round trips, so a thread per poll costs nothing that matters."""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

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

SERVICE = "IMAP"
Security = Literal["tls", "starttls", "none"]
T = TypeVar("T")


class ImapCredentials(CredentialsModel):
    host: HostName = Field(description="IMAP server host name, e.g. imap.example.com")
    port: int = Field(
        default=993, ge=1, le=65535, description="Port: 993 for implicit TLS, 143 for STARTTLS"
    )
    security: Security = Field(
        default="tls",
        description="tls: TLS from the first byte (port 993); starttls: plain connection "
        "upgraded with STARTTLS (required, never skipped); none: no encryption (local "
        "servers only)",
    )
    username: str = Field(min_length=1, description="Login name (often the full address)")
    password: SecretStr = Field(
        description="Password or app password (Gmail, Outlook, iCloud need one)"
    )
    ca_pem: PrivateCa = None
    timeout_s: StepTimeout = 30


class _Plain(imaplib.IMAP4):
    """IMAP4 connected to a checked address; ``host`` stays the name (STARTTLS's SNI)."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self._address, self.port), timeout)


class _Tls(imaplib.IMAP4_SSL):
    def __init__(
        self, host: str, address: str, port: int, timeout: float, context: ssl.SSLContext
    ) -> None:
        self._address = address
        super().__init__(host, port, ssl_context=context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout)
        wrapped: socket.socket = self.ssl_context.wrap_socket(sock, server_hostname=self.host)
        return wrapped


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple) and value:
        return " ".join(_text(v) for v in value if v is not None)
    return str(value)


def imap_failure(what: str, exc: BaseException, where: str) -> NodeError:
    """An imaplib/socket exception as ``IMAP: <what> failed: <server's words> (host:port)``."""
    if isinstance(exc, NodeError):
        return exc
    if isinstance(exc, imaplib.IMAP4.abort):
        return service_failure(SERVICE, what, f"{where}: connection lost: {_text(exc.args)}",
                               retryable=True)  # fmt: skip
    if isinstance(exc, imaplib.IMAP4.error):
        text = _text(exc.args)
        temporary = "[UNAVAILABLE]" in text or "[INUSE]" in text
        return service_failure(SERVICE, what, f"{text} ({where})", retryable=temporary)
    if (tls := tls_failure(SERVICE, what, exc, where)) is not None:
        return tls
    if isinstance(exc, TimeoutError | socket.timeout):
        return service_failure(SERVICE, what, f"{where} did not answer in time", retryable=True)
    if isinstance(exc, OSError):
        return service_failure(SERVICE, what, f"{where}: {exc.strerror or exc}", retryable=True)
    return service_failure(SERVICE, what, f"{where}: {type(exc).__name__}: {exc}")


def check(answer: tuple[str, Any], what: str) -> list[Any]:
    """The data of an OK answer; a NO/BAD answer as an IMAP error."""
    kind, data = answer
    if kind != "OK":
        raise imaplib.IMAP4.error(f"{what}: {kind} {_text(data)}")
    return list(data or [])


@contextmanager
def session(creds: ImapCredentials, address: str, what: str) -> Iterator[imaplib.IMAP4]:
    """A logged-in session (blocking: run it in a thread), logged out afterwards; every
    failure as a NodeError naming IMAP."""
    where = f"{creds.host}:{creds.port}"
    client: imaplib.IMAP4 | None = None
    stage = what
    try:
        if creds.security == "tls":
            client = _Tls(creds.host, address, creds.port, creds.timeout_s,
                          ca_context(SERVICE, creds.ca_pem))  # fmt: skip
        else:
            client = _Plain(creds.host, address, creds.port, creds.timeout_s)
            if creds.security == "starttls":
                client.starttls(ca_context(SERVICE, creds.ca_pem))
        stage = "login"
        client.login(creds.username, secret(creds.password))
        stage = what
        yield client
    except Exception as exc:
        raise imap_failure(stage, exc, where) from None
    finally:
        if client is not None:
            with contextlib.suppress(Exception):  # the connection is gone either way
                client.logout()


async def in_session(creds: ImapCredentials, what: str, fn: Callable[[imaplib.IMAP4], T]) -> T:
    """``fn(session)`` in a worker thread, after the outbound policy allowed the address."""
    address = await checked_address(SERVICE, creds.host, creds.port)

    def work() -> T:
        with session(creds, address, what) as client:
            return fn(client)

    return await asyncio.to_thread(work)


IMAP = IntegrationDefinition(
    "imap",
    "IMAP",
    credentials=ImapCredentials,
    auth=no_auth("IMAP LOGIN with username and password, after TLS"),
    description="Read e-mail from any IMAP mailbox: a trigger on new mail (nothing twice, "
    "nothing missed across restarts) and message search",
    icon="inbox",
    category="Communication",
    docs="https://www.rfc-editor.org/rfc/rfc9051",
    base_url=None,
    native=point_at(security="none"),
    example_credentials={
        "host": "imap.acme.example",
        "port": 993,
        "security": "tls",
        "username": "support@acme.example",
        "password": "app-password-example",
    },
)


@IMAP.connection_test
async def test_connection(connection: Connection[ImapCredentials]) -> str:
    creds = connection.credentials

    def probe(client: imaplib.IMAP4) -> None:
        check(client.noop(), "NOOP")

    await in_session(creds, "connection test", probe)
    mode = SECURITY_NAMES[creds.security]
    return f"connected to {creds.host}:{creds.port} ({mode}) as {creds.username}"

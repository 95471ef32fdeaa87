"""A real local SMTP server for the smtp integration's tests: aiosmtpd on 127.0.0.1 (a
thread), with STARTTLS or implicit TLS on a throw-away self-signed certificate, AUTH
PLAIN/LOGIN checked against one user, recipients refused on demand, every accepted message
kept as it arrived."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.certificates import Certificate
from tests.integrations.fakes import free_port

USER = "robot@acme.example"
PASSWORD = "s3cret-app-password"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class LocalSmtp:
    host: str
    port: int
    cert: Certificate
    security: str
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> "550 …"
    logins: list[tuple[str, str]] = field(default_factory=list)  # (mechanism, user)

    # aiosmtpd handler hooks
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        )
        return "250 2.0.0 queued as 42"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = data.login.decode() == USER and data.password.decode() == PASSWORD
        if ok:
            self.logins.append((mechanism, data.login.decode()))
        return AuthResult(success=ok, handled=False)

    def credentials(self, **more: Any) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": USER,
            "password": PASSWORD,
            "ca_pem": self.cert.cert_pem,
            "from_address": f"Acme Robot <{USER}>",
            "timeout_s": 10,
            **more,
        }


@contextmanager
def local_smtp(
    security: Literal["starttls", "tls", "none"],
    cert: Certificate,
    host: str = "localhost",
    exclude: list[str] | None = None,
) -> Iterator[LocalSmtp]:
    server = LocalSmtp(host, free_port(), cert, security)
    context = cert.server_context()
    kwargs: dict[str, Any] = {
        "authenticator": server.authenticate,
        "auth_required": security != "none",
        "auth_exclude_mechanism": exclude or [],
        # Implicit TLS is TLS from the start, which aiosmtpd's check does not see.
        "auth_require_tls": security == "starttls",
    }
    if security == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        ssl_context=context if security == "tls" else None,
        server_hostname="localhost",
        **kwargs,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()

"""A real local IMAP server for the imap integration's tests: Debian's dovecot (package
dovecot-imapd), started on a free 127.0.0.1 port with a configuration generated in a temporary
directory (Maildir there, one passwd-file user, optional TLS on a throw-away certificate) and
stopped afterwards. Messages are delivered with IMAP APPEND, as a mail server would file them.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.certificates import Certificate
from tests.integrations.fakes import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support@acme.example"
PASSWORD = "imap-pass-4711"


def installed() -> bool:
    return Path(DOVECOT).exists()


@dataclass
class LocalImap:
    port: int
    tls_port: int | None
    root: Path

    def credentials(self, **more: Any) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "username": USER,
            "password": PASSWORD,
            "timeout_s": 10,
            **more,
        }

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, msg: EmailMessage, mailbox: str = "INBOX", flags: str = "") -> None:
        with self.imap() as client:
            answer, data = client.append(
                f'"{mailbox}"', f"({flags})" if flags else None, None, msg.as_bytes()
            )
            assert answer == "OK", data

    @contextmanager
    def imap(self) -> Iterator[imaplib.IMAP4]:
        client = self.client()
        try:
            yield client
        finally:
            client.logout()

    def recreate(self, mailbox: str) -> None:
        """Delete and create the mailbox again: a new UIDVALIDITY."""
        with self.imap() as client:
            client.delete(f'"{mailbox}"')
            assert client.create(f'"{mailbox}"')[0] == "OK"

    def flags(self, mailbox: str = "INBOX") -> list[str]:
        with self.imap() as client:
            client.select(f'"{mailbox}"', readonly=True)
            _, data = client.fetch("1:*", "(FLAGS)")
            return [d.decode() for d in data if isinstance(d, bytes)]


def _mail_user() -> tuple[int, int, str]:
    """Dovecot refuses to serve mail as root: as root the mail belongs to the ``mail`` user."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_uid, me.pw_gid, me.pw_name
    mail = pwd.getpwnam("mail")
    return mail.pw_uid, mail.pw_gid, "mail"


def _config(root: Path, port: int, tls_port: int | None, cert: Certificate | None) -> str:
    uid, gid, name = _mail_user()
    me = pwd.getpwuid(os.getuid()).pw_name
    login_user = "dovenull" if os.getuid() == 0 else me
    internal_user = "dovecot" if os.getuid() == 0 else me
    ssl = "no"
    ssl_lines = ""
    if cert is not None:
        (root / "cert.pem").write_text(cert.cert_pem)
        (root / "key.pem").write_text(cert.key_pem)
        ssl = "yes"
        ssl_lines = f"ssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem\n"
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = wirework-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{root}/mail/%n
mail_uid = {uid}
mail_gid = {gid}
auth_mechanisms = plain login
auth_failure_delay = 0
disable_plaintext_auth = no
ssl = {ssl}
{ssl_lines}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
  # No delay after a failed login (the bad-login tests); dovecot waits 2 s otherwise.
  default_fields = nodelay=yes
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port or 0}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No growing penalty for 127.0.0.1 after failed logins.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
# {name}
"""


def _wait_for(port: int, deadline: float, log: Path) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    text = log.read_text() if log.exists() else "(no log)"
    raise RuntimeError(f"dovecot did not listen on {port}: {text[-2000:]}")


@contextmanager
def local_dovecot(cert: Certificate | None = None) -> Iterator[LocalImap]:
    root = Path(tempfile.mkdtemp(prefix="wirework-dovecot-"))
    os.chmod(root, 0o755)
    uid, gid, _ = _mail_user()
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    for sub in ("mail", "home"):
        os.chown(root / sub, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port = free_port()
    tls_port = free_port() if cert is not None else None
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port, tls_port, cert))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for(port, time.monotonic() + 15, root / "dovecot.log")
        yield LocalImap(port, tls_port, root)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)

"""A dovecot for the module (skipped with the reason when dovecot is not installed, failed
under CI=true: `make test` installs it) and a fresh mailbox per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from tests.certificates import Certificate, self_signed
from tests.integrations.imap.local_imap import LocalImap, installed, local_dovecot

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def imap_cert() -> Certificate:
    return self_signed("localhost")


@pytest.fixture(scope="module")
def dovecot(imap_cert: Certificate) -> Iterator[LocalImap]:
    if not installed():
        reason = "dovecot is not installed (apt-get install dovecot-imapd; make test does)"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: the IMAP tests must run)")
        pytest.skip(reason)
    with local_dovecot(imap_cert) as server:
        yield server


@pytest.fixture
def mailbox(dovecot: LocalImap) -> str:
    name = f"Test-{secrets.token_hex(4)}"
    with dovecot.imap() as client:
        assert client.create(f'"{name}"')[0] == "OK"
    return name

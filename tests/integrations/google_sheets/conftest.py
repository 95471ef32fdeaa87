"""The local Google and a test service account: an RSA key generated for the session (never
a key file in the repository)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integrations.fakes import serving
from tests.integrations.google_sheets.fake_server import FakeGoogle


def pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def sa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def google_server(loopback: None, sa_key: rsa.RSAPrivateKey) -> Iterator[FakeGoogle]:
    with serving(FakeGoogle(sa_key.public_key())) as fake:
        assert isinstance(fake, FakeGoogle)
        yield fake


@pytest.fixture
def sa_pem(sa_key: rsa.RSAPrivateKey) -> str:
    return pem(sa_key)


def other_pem() -> str:
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


__all__: list[Any] = ["other_pem", "pem"]

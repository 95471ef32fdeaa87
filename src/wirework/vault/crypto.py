"""Authenticated encryption of secrets with Fernet/MultiFernet, and where the keys live."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from wirework.vault.redaction import known

KEY_FILE_NAME = "encryption.key"
# A known plaintext whose token is kept in the database: decrypting it proves the key is right.
KEY_CHECK_PLAINTEXT = b"wirework-vault-key-check-v1"


class VaultError(RuntimeError):
    """The vault cannot be opened or used; the message says what to do."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(raw: str, *, source: str) -> list[bytes]:
    """Keys are separated by commas or newlines, newest (the one that encrypts) first."""
    keys = [k.strip() for k in raw.replace("\n", ",").split(",") if k.strip()]
    if not keys:
        raise VaultError(f"{source} holds no encryption key")
    for index, key in enumerate(keys):
        try:
            Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise VaultError(
                f"{source}: key #{index + 1} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes; make one with `wirework keys generate`)"
            ) from None
    return [k.encode("ascii") for k in keys]


def write_secret_file(path: Path, content: str) -> None:
    """Write a file readable by its owner only, atomically (never a half-written key file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Vault:
    """Encrypts with the first key; decrypts with any of them (MultiFernet)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise VaultError("the vault needs at least one key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, data: bytes) -> str:
        return self._fernet.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise VaultError(
                "a stored secret cannot be decrypted with the configured key(s)"
            ) from None

    def encrypt_json(self, value: dict[str, Any]) -> str:
        """Encrypt a JSON object of secrets (each string in it becomes a known secret, which
        logs and error bodies redact)."""
        known.add(value)
        return self.encrypt(json.dumps(value, separators=(",", ":")).encode("utf-8"))

    def decrypt_json(self, token: str) -> dict[str, Any]:
        value = json.loads(self.decrypt(token))
        if not isinstance(value, dict):
            raise VaultError("a stored secret is not a JSON object")
        known.add(value)
        return value

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise VaultError(
                "a stored secret cannot be decrypted with the configured key(s)"
            ) from None

    def key_check(self) -> str:
        return self.encrypt(KEY_CHECK_PLAINTEXT)

    def verify_key_check(self, token: str) -> bool:
        try:
            return self.decrypt(token) == KEY_CHECK_PLAINTEXT
        except VaultError:
            return False

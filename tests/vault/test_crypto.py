"""Fernet/MultiFernet encryption, key parsing and key files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from wirework.vault import Vault, VaultError
from wirework.vault.crypto import (
    KEY_CHECK_PLAINTEXT,
    generate_key,
    parse_keys,
    write_secret_file,
)


def test_generate_key_is_a_fernet_key() -> None:
    key = generate_key()
    Fernet(key.encode())  # raises if not
    assert generate_key() != key


def test_round_trip() -> None:
    vault = Vault([generate_key().encode()])
    token = vault.encrypt(b"hello \x00 world")
    assert b"hello" not in token.encode()
    assert vault.decrypt(token) == b"hello \x00 world"
    # Authenticated encryption with a random IV: the same plaintext never gives the same token.
    assert vault.encrypt(b"hello \x00 world") != token


def test_json_round_trip() -> None:
    vault = Vault([generate_key().encode()])
    value = {"api_token": "s3cr3t", "nested": {"n": 1, "list": [True, None]}, "uni": "žluť 🚀"}
    token = vault.encrypt_json(value)
    assert "s3cr3t" not in token
    assert vault.decrypt_json(token) == value


def test_decrypt_json_rejects_non_objects() -> None:
    vault = Vault([generate_key().encode()])
    with pytest.raises(VaultError, match="not a JSON object"):
        vault.decrypt_json(vault.encrypt(b"[1, 2]"))


def test_wrong_key_cannot_decrypt() -> None:
    token = Vault([generate_key().encode()]).encrypt(b"secret")
    with pytest.raises(VaultError, match="cannot be decrypted"):
        Vault([generate_key().encode()]).decrypt(token)


@pytest.mark.parametrize("mangle", ["flip", "truncate", "garbage", "non_ascii", "empty"])
def test_tampered_tokens_are_refused(mangle: str) -> None:
    vault = Vault([generate_key().encode()])
    token = vault.encrypt(b"secret")
    if mangle == "flip":
        index = len(token) // 2
        token = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    elif mangle == "truncate":
        token = token[:-5]
    elif mangle == "garbage":
        token = "not-a-token"
    elif mangle == "non_ascii":
        token = token[:-1] + "é"
    else:
        token = ""
    with pytest.raises(VaultError):
        vault.decrypt(token)
    with pytest.raises(VaultError):
        vault.rotate(token)


def test_vault_needs_a_key() -> None:
    with pytest.raises(VaultError, match="at least one key"):
        Vault([])


def test_multifernet_rotation() -> None:
    old, new = generate_key().encode(), generate_key().encode()
    old_vault = Vault([old])
    tokens = [old_vault.encrypt(f"secret-{i}".encode()) for i in range(5)]

    both = Vault([new, old])
    # During a rotation both keys read everything...
    assert [both.decrypt(t) for t in tokens] == [f"secret-{i}".encode() for i in range(5)]
    # ...and the first key is the one that encrypts.
    fresh = both.encrypt(b"x")
    assert Vault([new]).decrypt(fresh) == b"x"
    with pytest.raises(VaultError):
        old_vault.decrypt(fresh)

    rotated = [both.rotate(t) for t in tokens]
    new_vault = Vault([new])
    assert [new_vault.decrypt(t) for t in rotated] == [f"secret-{i}".encode() for i in range(5)]
    for token in rotated:
        with pytest.raises(VaultError):
            old_vault.decrypt(token)


def test_key_check() -> None:
    key = generate_key().encode()
    vault = Vault([key])
    check = vault.key_check()
    assert KEY_CHECK_PLAINTEXT not in check.encode()
    assert vault.verify_key_check(check)
    assert Vault([generate_key().encode(), key]).verify_key_check(check)
    assert not Vault([generate_key().encode()]).verify_key_check(check)
    assert not vault.verify_key_check("garbage")
    assert not vault.verify_key_check(vault.encrypt(b"something else"))


def test_parse_keys_separators() -> None:
    a, b, c = generate_key(), generate_key(), generate_key()
    assert parse_keys(a, source="x") == [a.encode()]
    assert parse_keys(f" {a} , {b},{c} ", source="x") == [a.encode(), b.encode(), c.encode()]
    assert parse_keys(f"{a}\n{b}\n\n", source="x") == [a.encode(), b.encode()]
    assert parse_keys(f"{a}\r\n{b}\r\n", source="x") == [a.encode(), b.encode()]


@pytest.mark.parametrize("raw", ["", "   ", ",,", "\n\n"])
def test_parse_keys_empty(raw: str) -> None:
    with pytest.raises(VaultError, match="the source holds no encryption key"):
        parse_keys(raw, source="the source")


@pytest.mark.parametrize(
    "bad",
    ["not-a-key", "c2hvcnQ=", "x" * 44, "ключ-ключ-ключ-ключ-ключ-ключ-ключ-ключ-кл"],
)
def test_parse_keys_invalid_key_says_how_to_make_one(bad: str) -> None:
    good = generate_key()
    with pytest.raises(VaultError) as info:
        parse_keys(f"{good},{bad}", source="WIREWORK_ENCRYPTION_KEY")
    message = str(info.value)
    assert "WIREWORK_ENCRYPTION_KEY" in message
    assert "key #2" in message
    assert "not a valid Fernet key" in message
    assert "wirework keys generate" in message
    # The message never repeats the (possibly secret) value.
    assert bad not in message


def test_write_secret_file_mode_and_atomicity(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "encryption.key"
    write_secret_file(path, "first\n")
    assert path.read_text() == "first\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Overwrite keeps the mode, and no temporary file is left behind.
    os.chmod(path, 0o644)
    write_secret_file(path, "second\n")
    assert path.read_text() == "second\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["encryption.key"]


def test_write_secret_file_ignores_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "k"
        write_secret_file(path, "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

"""Redaction: every form a secret takes in text is replaced by the mask, and nothing else."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from cryptography.fernet import Fernet

from wirework.vault import MASK, Vault
from wirework.vault.masking import Credentials, credential_secrets, redact, redact_known
from wirework.vault.redaction import MIN_FRAGMENT, KnownSecrets, Redactor, known

SECRET = "tok-3f9a1c77e2b04d5e9a8b 'q\"/+=&?\\~é"
CANARY = "canary-8d1e5b20c4f347a9b6e0d2c1f5a7b3e9"


def forms(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "raw": secret,
        "repr": repr(secret),
        "bytes repr": repr(raw),
        "json": json.dumps(secret),
        "json ascii off": json.dumps(secret, ensure_ascii=False),
        "repr in json": json.dumps(repr(raw)),
        "json in repr": repr(json.dumps(secret)),
        "url %20": quote(secret, safe=""),
        "url +": quote_plus(secret),
        "url path": quote(secret),
        "url lowercase": quote(secret, safe="").lower(),
        "base64": base64.b64encode(raw).decode(),
        "base64 url-safe": base64.urlsafe_b64encode(raw).decode(),
        "base64 +1": base64.b64encode(b"x" + raw + b"tail").decode(),
        "base64 +2": base64.b64encode(b"xy" + raw + b"tail").decode(),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
    }


@pytest.mark.parametrize("secret", [SECRET, CANARY, "line\nbreak\x00nul\\back-slash"])
@pytest.mark.parametrize("form", list(forms(SECRET)))
def test_every_form_is_redacted(secret: str, form: str) -> None:
    text = f"error: header value {forms(secret)[form]} refused"
    out = Redactor([secret]).text(text)
    assert out.startswith("error: header value ") and out.endswith(" refused")
    assert MASK in out
    # No run of MIN_FRAGMENT characters of the encoded secret is left (of base64 inside a
    # longer value: of the groups that encode only the secret's bytes).
    encoded = forms(secret)[form]
    if form.startswith("base64 +"):
        encoded = encoded[4:-12]
    for start in range(len(encoded) - MIN_FRAGMENT + 1):
        assert encoded[start : start + MIN_FRAGMENT] not in out, (form, out)


def test_the_header_error_that_leaked() -> None:
    token = f"Bearer {CANARY}\nX-Injected: 1"
    message = f"LocalProtocolError: Illegal header value {token.encode()!r}"
    out = Redactor([f"{CANARY}\nX-Injected: 1"]).text(message)
    assert out == f"LocalProtocolError: Illegal header value b'Bearer {MASK}'"


def test_basic_auth_with_its_username() -> None:
    header = "Basic " + base64.b64encode(f"alice:{SECRET}".encode()).decode()
    redactor = Redactor([SECRET], companions=["alice"])
    assert redactor.text(f"sent {header}!") == f"sent Basic {MASK}!"


@pytest.mark.parametrize("cut", [MIN_FRAGMENT, 12, 20, len(CANARY) - 1])
def test_pieces_of_a_secret(cut: int) -> None:
    redactor = Redactor([CANARY])
    # A message truncated inside the secret; one starting inside it; a split value.
    assert redactor.text(f"HTTP 500: {CANARY[:cut]}") == f"HTTP 500: {MASK}"
    assert redactor.text(f"{CANARY[-cut:]} (truncated)") == f"{MASK} (truncated)"
    assert redactor.text(f"{CANARY[:cut]}\n{CANARY[cut:]}").count(CANARY[cut:]) == (
        1 if len(CANARY) - cut < MIN_FRAGMENT else 0
    )


def test_short_pieces_and_unrelated_text_are_kept() -> None:
    redactor = Redactor([CANARY], companions=["https://api.example.com"])
    text = "GET https://api.example.com/v1/canary-report failed: 503 Service Unavailable"
    assert redactor.text(text) == text  # shares "canary-" (7 characters) with the secret
    assert redactor.text("canary-8d1e5b2") == MASK
    assert redactor.text(CANARY[: MIN_FRAGMENT - 1]) == CANARY[: MIN_FRAGMENT - 1]


def test_short_secrets_are_redacted_whole() -> None:
    assert Redactor(["abcd"]).text("x abcd y abcdabcd") == f"x {MASK} y {MASK}"
    assert Redactor(["abc"]).text("abc") == "abc"  # too short to redact at all


def test_values_are_copied_only_where_changed() -> None:
    item = {"n": 1, "list": [{"a": "b"}], "auth": f"Bearer {CANARY}", "bytes": CANARY.encode()}
    untouched = item["list"]
    out = Redactor([CANARY]).value(item)
    assert out["auth"] == f"Bearer {MASK}" and out["bytes"] == MASK.encode()
    assert out["list"] is untouched and out is not item
    assert item["auth"] == f"Bearer {CANARY}"  # the input is not modified
    clean = {"a": ["b", {"c": 1}]}
    assert Redactor([CANARY]).value(clean) is clean
    assert Redactor([CANARY]).value({CANARY: 1}) == {MASK: 1}


def test_credentials_know_their_secrets() -> None:
    creds = Credentials(
        {
            "base_url": "https://x.example",
            "username": "alice",
            "pat": "p4t-value",
            "api_key": "k3y-value",
            "api_key_header": "X-Key",
            "headers": {"X-Auth-Token": "t0k-value", "Accept": "json"},
        },
        secret_fields=["pat"],
    )
    secrets, others = credential_secrets(creds)
    assert sorted(secrets) == ["k3y-value", "p4t-value", "t0k-value"]
    assert sorted(others) == ["X-Key", "alice", "https://x.example", "json"]
    # A plain mapping: secret-looking names only.
    assert credential_secrets({"token": "t", "region": "eu"}) == (["t"], ["eu"])
    # Where tokens come from is not a secret (an OAuth2 type's token and authorize URLs).
    urls = {"token_url": "https://id.example/token", "auth_uri": "https://id.example/a"}
    assert credential_secrets(urls) == ([], list(urls.values()))


def test_known_secrets_are_bounded_and_redacted() -> None:
    registry = KnownSecrets(limit=2)
    registry.add({"a": "first-secret", "b": ["second-secret", 5]})
    assert registry.redactor().text("first-secret second-secret") == f"{MASK} {MASK}"
    registry.add("third-secret")
    assert registry.redactor().text("first-secret third-secret") == f"first-secret {MASK}"
    registry.clear()
    assert not registry.redactor()


def test_the_vault_makes_secrets_known() -> None:
    vault = Vault([Fernet.generate_key()])
    stored = vault.encrypt_json({"api_token": "vault-seen-secret-1"})
    assert redact_known("x vault-seen-secret-1 y") == f"x {MASK} y"
    known.clear()
    assert redact_known("x vault-seen-secret-1 y") == "x vault-seen-secret-1 y"
    vault.decrypt_json(stored)
    assert redact_known(json.dumps({"m": "vault-seen-secret-1"})) == json.dumps({"m": MASK})
    # The log processor: names and known values alike.
    event = {"event": "failed with vault-seen-secret-1", "password": "x", "n": [1, "ok"]}
    assert redact(event) == {"event": f"failed with {MASK}", "password": MASK, "n": [1, "ok"]}


@pytest.mark.parametrize("fmt", ["console", "json"])
async def test_logs_redact_secrets_in_messages_and_tracebacks(tmp_path: Path, fmt: str) -> None:
    """The real logging set-up, in a subprocess: a secret the vault has seen is redacted
    from the message, fields, stdlib records and the formatted traceback of an exception."""
    script = textwrap.dedent(
        f"""
        import logging, structlog
        from cryptography.fernet import Fernet
        from wirework.logging import configure
        from wirework.vault import Vault
        configure("debug", {fmt!r})
        Vault([Fernet.generate_key()]).encrypt_json({{"token": {CANARY!r} + "\\nX"}})
        bad = ({CANARY!r} + "\\nX").encode()
        log = structlog.get_logger("t")
        log.info("sending", header=b"Bearer " + bad)
        query = {quote_plus(CANARY + chr(10) + "X")!r}
        logging.getLogger("httpx").info("GET https://h/?key=%s", query)
        try:
            raise ValueError(f"Illegal header value {{bad!r}}")
        except ValueError:
            log.exception("request failed")
            logging.getLogger("uvicorn.error").exception("boom")
        """
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    text = (out + err).decode()
    assert "Illegal header value" in text and "request failed" in text and "boom" in text
    assert "ValueError" in text and MASK in text
    for start in range(len(CANARY) - MIN_FRAGMENT + 1):
        assert CANARY[start : start + MIN_FRAGMENT] not in text, text

"""The webhook signature schemes an integration trigger can declare, as the webhook server
checks them (services/webhooks.check_auth with the trigger's AuthConfig): Slack's v0
(against Slack's documented example), a shared secret token, the declaration's checks."""

from __future__ import annotations

import pytest
from pydantic import Field

from wirework.sdk.integration import ActionParams, SignatureScheme
from wirework.services.webhook_targets import targets_of
from wirework.services.webhooks import check_auth, masked_headers, slack_signature

# Slack's worked example (docs.slack.dev, "Verifying requests from Slack").
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TS = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
    b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
    b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
    b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def target(node_type: str, **params: object) -> object:
    doc = {
        "nodes": [
            {"id": "t", "type": node_type, "integration_id": 3, "params": {"path": "p", **params}}
        ]
    }
    (found,) = targets_of(1, 1, doc)
    return found


def test_slack_v0_matches_slacks_documented_example() -> None:
    assert "v0=" + slack_signature(SLACK_SECRET, SLACK_BODY, SLACK_TS) == SLACK_SIG
    hook = target("slack.events")
    auth = hook.auth  # type: ignore[attr-defined]
    assert auth.type == "slack_v0" and auth.signs_body
    assert (
        auth.header == "x-slack-signature" and auth.timestamp_header == "x-slack-request-timestamp"
    )
    creds = {"signing_secret": SLACK_SECRET}
    headers = {"x-slack-signature": SLACK_SIG, "x-slack-request-timestamp": SLACK_TS}
    now = int(SLACK_TS) + 60
    assert check_auth(auth, creds, headers, SLACK_BODY, now=now) is None
    assert check_auth(auth, creds, headers, SLACK_BODY, now=int(SLACK_TS) + 301) == (
        "timestamp outside tolerance"
    )
    sha = {**headers, "x-slack-signature": "sha256=" + SLACK_SIG[3:]}
    assert check_auth(auth, creds, sha, SLACK_BODY, now=now) == "not a v0 signature"
    assert check_auth(auth, creds, headers, SLACK_BODY + b"x", now=now) == "bad signature"
    no_ts = {"x-slack-signature": SLACK_SIG}
    assert check_auth(auth, creds, no_ts, SLACK_BODY, now=now) == (
        "missing x-slack-request-timestamp header"
    )
    # The signature is not a secret: the item keeps it.
    assert masked_headers(auth, headers) == headers


def test_secret_token_reads_the_declared_field_and_is_masked() -> None:
    auth = target("telegram.updates").auth  # type: ignore[attr-defined]
    assert auth.type == "header" and not auth.signs_body
    creds = {"webhook_secret": "s3cret-token", "token": "not-this-one"}
    header = "x-telegram-bot-api-secret-token"
    assert check_auth(auth, creds, {header: "s3cret-token"}) is None
    assert check_auth(auth, creds, {header: "not-this-one"}) == "wrong token"
    assert check_auth(auth, creds, {}) == f"missing {header} header"
    assert masked_headers(auth, {header: "s3cret-token"})[header] != "s3cret-token"


def test_github_keeps_its_hmac() -> None:
    auth = target("github.webhook").auth  # type: ignore[attr-defined]
    assert auth.type == "hmac" and auth.secret_field == "webhook_secret"


def test_declarations_are_checked() -> None:
    from wirework.integrations.slack.credentials import SLACK

    class P(ActionParams):
        path: str = Field(description="path")

    with pytest.raises(ValueError, match="slack_v0 needs a timestamp_header"):
        SLACK.webhook_trigger(
            "bad_one",
            params=P,
            description="d",
            scheme=SignatureScheme.SLACK_V0,
            signature_header="X-Slack-Signature",
            secret_field="signing_secret",
        )
    with pytest.raises(ValueError, match="not a valid SignatureScheme"):
        SLACK.webhook_trigger(
            "bad_two",
            params=P,
            description="d",
            scheme="md5",
            signature_header="X-Sig",
            secret_field="signing_secret",
        )
    assert {s.value for s in SignatureScheme} == {"hmac_sha256", "slack_v0", "secret_token"}

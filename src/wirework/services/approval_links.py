"""Signed approve/reject links of agents' tool calls: an HMAC (the instance's signing key)
over the execution, node, call, decision and expiry."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from wirework.services.runtime import Runtime

APPROVE, REJECT = "approve", "reject"


def link_token(
    signing_key: str, execution_id: str, node_id: str, call_id: str, decision: str, expires: int
) -> str:
    message = f"approval:{execution_id}:{node_id}:{call_id}:{decision}:{expires}"
    return hmac.new(signing_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def check_link(
    signing_key: str,
    execution_id: str,
    node_id: str,
    call_id: str,
    decision: str,
    expires: int,
    token: str,
) -> str | None:
    """Why a signed link is not valid (None: it is)."""
    if decision not in (APPROVE, REJECT):
        return "unknown decision"
    expected = link_token(signing_key, execution_id, node_id, call_id, decision, expires)
    if not hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace")):
        return "invalid link"
    if expires < time.time():
        return "this link has expired"
    return None


def links(runtime: Runtime, execution_id: str, node_id: str, call_id: str) -> dict[str, str]:
    """Signed approve/reject links of a waiting tool call (Hooks.approval_links)."""
    settings = runtime.settings
    expires = int(time.time()) + settings.approval_link_ttl_s
    out = {}
    for decision in (APPROVE, REJECT):
        token = link_token(runtime.signing_key, execution_id, node_id, call_id, decision, expires)
        query = urlencode(
            {
                "node": node_id,
                "call": call_id,
                "decision": decision,
                "expires": expires,
                "token": token,
            }
        )
        out[decision] = f"{settings.base_url}/approval/{execution_id}?{query}"
    return out

"""How a service proves its webhook deliveries, and what an integration reads from them.

:class:`SignatureScheme` is the one list of the schemes a webhook trigger can declare (the
server verifies each in constant time, with the integration's cached credentials, before the
body is parsed):

- ``hmac_sha256`` (GitHub and most services): ``<signature_header>: sha256=<hex>``, the
  HMAC-SHA256 of the raw body keyed by the secret;
- ``slack_v0`` (Slack): ``X-Slack-Signature: v0=<hex>``, the HMAC-SHA256 of
  ``v0:<X-Slack-Request-Timestamp>:<raw body>``, the timestamp within ``tolerance_s``
  (five minutes) of now;
- ``secret_token`` (Telegram): the secret itself in ``<signature_header>``
  (``X-Telegram-Bot-Api-Secret-Token``), compared in constant time and masked in the item.

A trigger may also read its delivery's id and event from the parsed body (``delivery_of``,
``event_of``: Slack's ``event_id``, Telegram's ``update_id``) when the service sends no
header for them, and answer a handshake without starting a run (``handshake``: Slack's
``url_verification`` is answered with its challenge, after the signature was verified).
These are pure functions of the body: the webhook's hot path makes no query for them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any


class SignatureScheme(enum.StrEnum):
    """How a webhook delivery proves it comes from the service (see the module's doc)."""

    HMAC_SHA256 = "hmac_sha256"
    SLACK_V0 = "slack_v0"
    SECRET_TOKEN = "secret_token"  # noqa: S105 - a scheme's name


# The parsed body (JSON object, form, text) -> the delivery id / the event, or None.
BodyReader = Callable[[Any], "str | None"]
# The parsed body -> the JSON answered with 200 instead of starting a run, or None.
Handshake = Callable[[Any], "dict[str, Any] | None"]


def body_value(body: Any, *path: str) -> str | None:
    """``body[path[0]][path[1]]…`` as a string (None when absent or not a scalar)."""
    value = body
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return None
    return str(value)

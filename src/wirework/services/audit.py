"""The audit trail of changes users make: one structured log line per change on the
``wirework.audit`` logger (who, what, which, and the values that matter), never a secret.
Ship that logger to where audit records are kept (the JSON log format suits it)."""

from __future__ import annotations

from typing import Any

import structlog

log = structlog.get_logger("wirework.audit")


def record(actor: Any, action: str, target: str, **values: Any) -> None:
    """Log a change: ``actor`` is the signed-in user (its id and email are logged),
    ``action`` e.g. ``ai.price.update``, ``target`` what changed (``openai/gpt-4o``)."""
    log.info(
        "audit",
        action=action,
        target=target,
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None),
        **values,
    )

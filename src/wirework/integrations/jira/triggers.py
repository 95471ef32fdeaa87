"""Jira triggers: ``jira.webhook`` (Jira Cloud webhook deliveries signed with the webhook's
secret: ``X-Hub-Signature: sha256=<hex HMAC of the body>``; repeats of an
``X-Atlassian-Webhook-Identifier`` dropped) and ``jira.issue_updated`` (polls a JQL query for
issues created or updated since the last poll; relative JQL durations, so Jira's and the
user's time zones do not matter).

Jira names the event in the body (``webhookEvent``: ``jira:issue_created``, ``comment_created``
…), not in a header: which events are sent, and for which issues (a JQL filter), is chosen
where the webhook is registered in Jira; a ``core.filter`` on ``{{ json.body.webhookEvent }}``
narrows further in the workflow."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import Field

from wirework.integrations.jira.actions import search
from wirework.integrations.jira.credentials import JIRA, JiraCredentials
from wirework.sdk.integration import ActionParams, PollContext, PollResult, WebhookTriggerParams
from wirework.sdk.integration.polling import baseline, cursor_time, newer

MARGIN_MIN = 5  # extra minutes looked back (clock differences with Jira)


class WebhookParams(WebhookTriggerParams):
    """Start a run on each delivery of a Jira Cloud webhook (System → WebHooks → Create a
    WebHook: URL <your server>/webhook/<path>, the events and JQL filter to send, Secret =
    the integration's webhook_secret). Emits {body, headers, query, method, path}; the event
    is body.webhookEvent (e.g. jira:issue_created), the issue body.issue."""


WEBHOOK = JIRA.webhook_trigger(
    "webhook",
    params=WebhookParams,
    description="Start on Jira webhook deliveries (signature checked, repeats dropped); "
    "the event is body.webhookEvent",
    signature_header="X-Hub-Signature",
    secret_field="webhook_secret",  # noqa: S106 - a field name
    delivery_header="X-Atlassian-Webhook-Identifier",
)


class IssuePolling(ActionParams):
    """Start a run with the issues the JQL matches that were created or changed since the
    last poll (one item per issue, oldest change first)."""

    jql: str = Field(min_length=1, max_length=10_000, description="JQL, e.g. project = BUG")
    interval_s: int = Field(default=300, ge=1, le=86_400, description="Seconds between polls")
    fields: list[str] = Field(
        default_factory=lambda: ["summary", "status", "updated"],
        description="Fields to return (updated is always added)",
    )
    max_issues: int = Field(default=500, ge=1, le=10_000, description="Most issues per poll")


@JIRA.polling_trigger(
    "issue_updated",
    params=IssuePolling,
    description="Poll a JQL query for created or updated issues",
)
async def poll_issues(
    ctx: PollContext[JiraCredentials], params: IssuePolling, cursor: Any
) -> PollResult:
    if cursor is None:
        return PollResult([], baseline())
    since = cursor_time(cursor)
    minutes = math.ceil((dt.datetime.now(dt.UTC) - since).total_seconds() / 60) + MARGIN_MIN
    jql = f'({params.jql}) AND updated >= "-{minutes}m" ORDER BY updated ASC'
    fields = sorted({*params.fields, "updated"})
    issues = await search(ctx.client, jql, fields, 100, params.max_issues)
    items, next_cursor = newer(
        issues,
        cursor,
        key=lambda i: str(i.get("key")),
        changed_at=lambda i: str((i.get("fields") or {}).get("updated")),
    )
    return PollResult(items, next_cursor)

"""GitHub triggers: ``github.webhook`` (deliveries signed with X-Hub-Signature-256, repeats
of an X-GitHub-Delivery id dropped, filtered by X-GitHub-Event) and ``github.issue_updated``
(polls a repository's issues updated since the last poll)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.github.actions import OWNER, REPO, list_pages
from wirework.integrations.github.credentials import GITHUB, GitHubCredentials
from wirework.sdk.integration import ActionParams, PollContext, PollResult, WebhookTriggerParams
from wirework.sdk.integration.polling import baseline, newer


class WebhookParams(WebhookTriggerParams):
    """Start a run on each delivery of your repository's or organisation's webhook (set its
    URL to /webhook/<path>, content type application/json, and its secret to the
    integration's webhook_secret). Emits {body, headers, query, method, path, event}."""

    events: list[str] = Field(
        default_factory=list,
        description="Events that start a run (e.g. issues, push); none = every event but ping",
    )


WEBHOOK = GITHUB.webhook_trigger(
    "webhook",
    params=WebhookParams,
    description="Start on GitHub webhook deliveries (signature checked, repeats dropped)",
    signature_header="X-Hub-Signature-256",
    secret_field="webhook_secret",  # noqa: S106 - a field name
    delivery_header="X-GitHub-Delivery",
    event_header="X-GitHub-Event",
)


class IssuePolling(ActionParams):
    """Start a run with the repository's issues created or changed since the last poll."""

    owner: str = Field(pattern=OWNER, description="Owner (user or organisation)")
    repo: str = Field(pattern=REPO, description="Repository name")
    interval_s: int = Field(default=300, ge=1, le=86_400, description="Seconds between polls")
    include_pull_requests: bool = Field(default=False, description="Pull requests count too")
    max_issues: int = Field(default=500, ge=1, le=10_000, description="Most issues per poll")


@GITHUB.polling_trigger(
    "issue_updated",
    params=IssuePolling,
    description="Poll a repository for created or updated issues",
)
async def poll_issues(
    ctx: PollContext[GitHubCredentials], params: IssuePolling, cursor: Any
) -> PollResult:
    if cursor is None:
        return PollResult([], baseline())
    query = {
        "state": "all",
        "sort": "updated",
        "direction": "asc",
        "since": cursor["after"],
        "per_page": 100,
    }
    issues = await list_pages(
        ctx.client, f"/repos/{params.owner}/{params.repo}/issues", query, params.max_issues
    )
    if not params.include_pull_requests:
        issues = [i for i in issues if "pull_request" not in i]
    items, next_cursor = newer(
        issues,
        cursor,
        key=lambda i: str(i.get("id")),
        changed_at=lambda i: str(i.get("updated_at")),
    )
    return PollResult(items, next_cursor)

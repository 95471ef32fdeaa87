"""Jira actions: ``jira.create_issue``, ``update_issue``, ``transition_issue``,
``add_comment``, ``search_issues`` (JQL, every page)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from wirework.integrations.jira.credentials import JIRA, JiraCredentials
from wirework.sdk.integration import ActionContext, ActionParams
from wirework.sdk.node import Item, NodeError

ISSUE_KEY = r"^[A-Za-z][A-Za-z0-9_]*-[0-9]+$|^[0-9]+$"


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document (one paragraph per line; v3 needs ADF)."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def rich(value: str | dict[str, Any]) -> dict[str, Any]:
    return value if isinstance(value, dict) else adf(value)


def _issue_out(created: dict[str, Any], base_url: str) -> Item:
    key = created.get("key")
    return {
        "id": created.get("id"),
        "key": key,
        "self": created.get("self"),
        "url": f"{base_url}/browse/{key}" if key else None,
    }


class CreateIssue(ActionParams):
    """Create an issue (POST /rest/api/3/issue)."""

    project: str = Field(min_length=1, max_length=255, description="Project key, e.g. BUG")
    summary: str = Field(min_length=1, max_length=255, description="Issue summary (title)")
    description: str | dict[str, Any] | None = Field(
        default=None, description="Plain text (made into a document) or an ADF document"
    )
    issue_type: str = Field(default="Task", min_length=1, description="Issue type name")
    labels: list[str] = Field(default_factory=list, description="Labels")
    priority: str | None = Field(default=None, description="Priority name, e.g. High")
    assignee_account_id: str | None = Field(default=None, description="Assignee's account id")
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="More fields as Jira names them, custom fields included "
        '(e.g. {"customfield_10011": "Epic name"}); they override the ones above',
    )


@JIRA.action(
    "create_issue",
    params=CreateIssue,
    description="Create an issue; emits {id, key, self, url}",
    example={"project": "BUG", "summary": "Crash on save", "description": "Steps…"},
)
async def create_issue(ctx: ActionContext[JiraCredentials], params: CreateIssue) -> Item:
    fields: dict[str, Any] = {
        "project": {"key": params.project},
        "summary": params.summary,
        "issuetype": {"name": params.issue_type},
    }
    if params.description:
        fields["description"] = rich(params.description)
    if params.labels:
        fields["labels"] = params.labels
    if params.priority:
        fields["priority"] = {"name": params.priority}
    if params.assignee_account_id:
        fields["assignee"] = {"accountId": params.assignee_account_id}
    fields.update(params.fields)
    created = await ctx.client.json("POST", "/rest/api/3/issue", json={"fields": fields})
    return _issue_out(created, ctx.credentials.base_url)


class UpdateIssue(ActionParams):
    """Edit an issue's fields (PUT /rest/api/3/issue/{key})."""

    issue: str = Field(pattern=ISSUE_KEY, description="Issue key (BUG-12) or id")
    summary: str | None = Field(default=None, max_length=255, description="New summary")
    description: str | dict[str, Any] | None = Field(default=None, description="New description")
    labels: list[str] | None = Field(default=None, description="Replace the labels")
    fields: dict[str, Any] = Field(default_factory=dict, description="More fields to set")
    notify_users: bool = Field(default=True, description="Send Jira's notification e-mails")


@JIRA.action(
    "update_issue",
    params=UpdateIssue,
    description="Update an issue's fields; emits {key, updated: [field names]}",
    example={"issue": "BUG-1", "summary": "Crash on save (macOS)"},
)
async def update_issue(ctx: ActionContext[JiraCredentials], params: UpdateIssue) -> Item:
    fields: dict[str, Any] = {}
    if params.summary is not None:
        fields["summary"] = params.summary
    if params.description is not None:
        fields["description"] = rich(params.description)
    if params.labels is not None:
        fields["labels"] = params.labels
    fields.update(params.fields)
    if not fields:
        raise NodeError("params: give at least one field to update", retryable=False)
    await ctx.client.request(
        "PUT",
        f"/rest/api/3/issue/{params.issue}",
        query={"notifyUsers": "true" if params.notify_users else "false"},
        json={"fields": fields},
    )
    return {"key": params.issue, "updated": sorted(fields)}


class TransitionIssue(ActionParams):
    """Move an issue through its workflow (POST /rest/api/3/issue/{key}/transitions)."""

    issue: str = Field(pattern=ISSUE_KEY, description="Issue key or id")
    transition: str = Field(
        min_length=1,
        description="Transition name (e.g. Done) or id; names are matched "
        "case-insensitively, also against the target status",
    )
    comment: str | None = Field(default=None, description="A comment added with the transition")


@JIRA.action(
    "transition_issue",
    params=TransitionIssue,
    description="Transition an issue by transition name or id; emits {key, transition, status}",
    example={"issue": "BUG-1", "transition": "Done"},
)
async def transition_issue(ctx: ActionContext[JiraCredentials], params: TransitionIssue) -> Item:
    path = f"/rest/api/3/issue/{params.issue}/transitions"
    available = (await ctx.client.json("GET", path)).get("transitions") or []
    wanted = params.transition.strip().lower()
    match = next(
        (
            t
            for t in available
            if str(t.get("id")) == params.transition
            or str(t.get("name", "")).lower() == wanted
            or str((t.get("to") or {}).get("name", "")).lower() == wanted
        ),
        None,
    )
    if match is None:
        names = ", ".join(str(t.get("name")) for t in available) or "none"
        raise NodeError(
            f"params.transition: {params.issue} has no transition {params.transition!r} "
            f"(available: {names})",
            retryable=False,
        )
    body: dict[str, Any] = {"transition": {"id": str(match["id"])}}
    if params.comment:
        body["update"] = {"comment": [{"add": {"body": adf(params.comment)}}]}
    await ctx.client.request("POST", path, json=body)
    return {
        "key": params.issue,
        "transition": match.get("name"),
        "status": (match.get("to") or {}).get("name"),
    }


class AddComment(ActionParams):
    """Comment on an issue (POST /rest/api/3/issue/{key}/comment)."""

    issue: str = Field(pattern=ISSUE_KEY, description="Issue key or id")
    body: str | dict[str, Any] = Field(description="Plain text or an ADF document")


@JIRA.action(
    "add_comment",
    params=AddComment,
    description="Add a comment to an issue; emits {id, issue, created}",
    example={"issue": "BUG-1", "body": "Fixed in 1.2.3"},
)
async def add_comment(ctx: ActionContext[JiraCredentials], params: AddComment) -> Item:
    made = await ctx.client.json(
        "POST", f"/rest/api/3/issue/{params.issue}/comment", json={"body": rich(params.body)}
    )
    return {"id": made.get("id"), "issue": params.issue, "created": made.get("created")}


class SearchIssues(ActionParams):
    """Search issues by JQL (POST /rest/api/3/search/jql), following nextPageToken."""

    jql: str = Field(min_length=1, max_length=10_000, description="JQL, e.g. project = BUG")
    fields: list[str] = Field(
        default_factory=lambda: ["summary", "status", "assignee", "updated"],
        description="Fields to return (*all for every field)",
    )
    page_size: int = Field(default=50, ge=1, le=100, description="Issues per request")
    max_results: int = Field(default=1000, ge=1, le=100_000, description="Stop after this many")


async def search(
    ctx_client: Any, jql: str, fields: list[str], page_size: int, limit: int
) -> list[Item]:
    out: list[Item] = []
    token: str | None = None
    while len(out) < limit:
        body: dict[str, Any] = {
            "jql": jql,
            "fields": fields,
            "maxResults": min(page_size, limit - len(out)),
        }
        if token:
            body["nextPageToken"] = token
        # A search changes nothing: safe to retry on a 5xx although it is a POST.
        page = await ctx_client.json("POST", "/rest/api/3/search/jql", json=body, idempotent=True)
        out.extend(page.get("issues") or [])
        token = page.get("nextPageToken")
        if not token or page.get("isLast"):
            break
    return out[:limit]


@JIRA.action(
    "search_issues",
    params=SearchIssues,
    description="Search issues by JQL (every page up to max_results); one item per issue",
    example={"jql": "project = BUG AND status = Open"},
)
async def search_issues(ctx: ActionContext[JiraCredentials], params: SearchIssues) -> list[Item]:
    return await search(ctx.client, params.jql, params.fields, params.page_size, params.max_results)

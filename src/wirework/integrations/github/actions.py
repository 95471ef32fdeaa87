"""GitHub actions: ``github.create_repo`` (the seed's), ``create_issue``, ``update_issue``,
``comment_issue``, ``close_issue``, ``list_issues`` (every page), ``get_file``,
``create_pr_comment``, ``dispatch_workflow``."""

from __future__ import annotations

import base64
import re
from typing import Any, Literal

from pydantic import Field

from wirework.integrations.github.credentials import GITHUB, GitHubCredentials
from wirework.sdk.integration import ActionContext, ActionParams, ServiceClient, response_json
from wirework.sdk.node import Item, NodeError

OWNER = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$"
REPO = r"^[A-Za-z0-9._-]{1,100}$"
LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class RepoRef(ActionParams):
    owner: str = Field(pattern=OWNER, description="Owner (user or organisation)")
    repo: str = Field(pattern=REPO, description="Repository name")


class CreateRepo(ActionParams):
    """Create a repository for the token's user, or in an organisation."""

    name: str = Field(pattern=REPO, description="Repository name")
    org: str | None = Field(
        default=None, pattern=OWNER, description="Organisation (default: the token's user)"
    )
    description: str | None = Field(default=None, max_length=350, description="Description")
    private: bool = Field(default=True, description="Private repository")
    auto_init: bool = Field(default=False, description="Create an initial commit with a README")
    homepage: str | None = Field(default=None, description="Homepage URL")


def _repo_out(repo: dict[str, Any]) -> Item:
    keys = ("id", "name", "full_name", "private", "html_url", "clone_url", "default_branch")
    return {k: repo.get(k) for k in keys}


@GITHUB.action(
    "create_repo",
    params=CreateRepo,
    description="Create a repository; emits {id, name, full_name, private, html_url, …}",
    example={"name": "bug-1234", "description": "Reproduction of BUG-1234"},
)
async def create_repo(ctx: ActionContext[GitHubCredentials], params: CreateRepo) -> Item:
    path = f"/orgs/{params.org}/repos" if params.org else "/user/repos"
    body = params.model_dump(exclude={"org"}, exclude_none=True)
    return _repo_out(await ctx.client.json("POST", path, json=body))


def _issue_out(issue: dict[str, Any]) -> Item:
    keys = ("id", "number", "title", "state", "html_url", "body", "created_at", "updated_at")
    out = {k: issue.get(k) for k in keys}
    out["labels"] = [
        label.get("name") if isinstance(label, dict) else label
        for label in issue.get("labels") or []
    ]
    out["user"] = (issue.get("user") or {}).get("login")
    return out


class CreateIssue(RepoRef):
    title: str = Field(min_length=1, max_length=256, description="Issue title")
    body: str | None = Field(default=None, description="Issue text (Markdown)")
    labels: list[str] = Field(default_factory=list, description="Labels")
    assignees: list[str] = Field(default_factory=list, description="Logins to assign")
    milestone: int | None = Field(default=None, ge=1, description="Milestone number")


@GITHUB.action(
    "create_issue",
    params=CreateIssue,
    description="Open an issue; emits {number, html_url, …}",
    example={"owner": "acme", "repo": "app", "title": "Crash on save"},
)
async def create_issue(ctx: ActionContext[GitHubCredentials], params: CreateIssue) -> Item:
    body = params.model_dump(exclude={"owner", "repo"}, exclude_none=True)
    issue = await ctx.client.json("POST", f"/repos/{params.owner}/{params.repo}/issues", json=body)
    return _issue_out(issue)


class IssueRef(RepoRef):
    number: int = Field(ge=1, description="Issue (or pull request) number")


class UpdateIssue(IssueRef):
    title: str | None = Field(default=None, max_length=256, description="New title")
    body: str | None = Field(default=None, description="New text")
    state: Literal["open", "closed"] | None = Field(default=None, description="New state")
    labels: list[str] | None = Field(default=None, description="Replace the labels")
    assignees: list[str] | None = Field(default=None, description="Replace the assignees")


@GITHUB.action(
    "update_issue",
    params=UpdateIssue,
    description="Edit an issue (title, text, state, labels, assignees)",
    example={"owner": "acme", "repo": "app", "number": 1, "labels": ["bug"]},
)
async def update_issue(ctx: ActionContext[GitHubCredentials], params: UpdateIssue) -> Item:
    body = params.model_dump(exclude={"owner", "repo", "number"}, exclude_none=True)
    if not body:
        raise NodeError("params: give at least one field to update", retryable=False)
    issue = await ctx.client.json(
        "PATCH", f"/repos/{params.owner}/{params.repo}/issues/{params.number}", json=body
    )
    return _issue_out(issue)


class CloseIssue(IssueRef):
    reason: Literal["completed", "not_planned"] = Field(
        default="completed", description="Why it is closed"
    )
    comment: str | None = Field(default=None, description="A comment posted before closing")


@GITHUB.action(
    "close_issue",
    params=CloseIssue,
    description="Close an issue (optionally with a comment)",
    example={"owner": "acme", "repo": "app", "number": 1, "reason": "completed"},
)
async def close_issue(ctx: ActionContext[GitHubCredentials], params: CloseIssue) -> Item:
    base = f"/repos/{params.owner}/{params.repo}/issues/{params.number}"
    if params.comment:
        await ctx.client.json("POST", f"{base}/comments", json={"body": params.comment})
    issue = await ctx.client.json(
        "PATCH", base, json={"state": "closed", "state_reason": params.reason}
    )
    return _issue_out(issue)


class CommentIssue(IssueRef):
    body: str = Field(min_length=1, description="Comment text (Markdown)")


def _comment_out(comment: dict[str, Any]) -> Item:
    keys = ("id", "html_url", "body", "created_at", "path", "line")
    return {k: comment.get(k) for k in keys if k in comment}


@GITHUB.action(
    "comment_issue",
    params=CommentIssue,
    description="Comment on an issue or pull request",
    example={"owner": "acme", "repo": "app", "number": 1, "body": "Thanks!"},
)
async def comment_issue(ctx: ActionContext[GitHubCredentials], params: CommentIssue) -> Item:
    made = await ctx.client.json(
        "POST",
        f"/repos/{params.owner}/{params.repo}/issues/{params.number}/comments",
        json={"body": params.body},
    )
    return _comment_out(made)


class ListIssues(RepoRef):
    state: Literal["open", "closed", "all"] = Field(default="open", description="Which issues")
    labels: list[str] = Field(default_factory=list, description="Only issues with all of these")
    since: str | None = Field(default=None, description="Only issues updated at or after (ISO)")
    include_pull_requests: bool = Field(
        default=False, description="GitHub lists pull requests as issues too; keep them"
    )
    max_results: int = Field(default=1000, ge=1, le=100_000, description="Stop after this many")


async def list_pages(
    client: ServiceClient, path: str, query: dict[str, Any], limit: int
) -> list[Item]:
    """Every page of a GitHub list (``Link: rel="next"``), up to ``limit`` items."""
    out: list[Item] = []
    url: str | None = path
    first = True
    while url is not None and len(out) < limit:
        response = await client.request("GET", url, query=query if first else None)
        first = False
        page = response_json(response) or []
        if not isinstance(page, list):
            raise NodeError(f"GitHub answered GET {path} with no list", retryable=False)
        out.extend(page)
        found = LINK_NEXT.search(response.headers.get("link", ""))
        url = found.group(1) if found else None
    return out[:limit]


@GITHUB.action(
    "list_issues",
    params=ListIssues,
    description="List a repository's issues (every page); one item per issue",
    example={"owner": "acme", "repo": "app", "state": "open"},
)
async def list_issues(ctx: ActionContext[GitHubCredentials], params: ListIssues) -> list[Item]:
    query: dict[str, Any] = {"state": params.state, "per_page": 100}
    if params.labels:
        query["labels"] = ",".join(params.labels)
    if params.since:
        query["since"] = params.since
    issues = await list_pages(
        ctx.client, f"/repos/{params.owner}/{params.repo}/issues", query, params.max_results
    )
    if not params.include_pull_requests:
        issues = [i for i in issues if "pull_request" not in i]
    return [_issue_out(i) for i in issues]


class GetFile(RepoRef):
    path: str = Field(min_length=1, max_length=1000, description="File path in the repository")
    ref: str | None = Field(default=None, description="Branch, tag or commit (default branch)")


@GITHUB.action(
    "get_file",
    params=GetFile,
    description="Read a file; emits {path, sha, size, content (text), encoding}",
    example={"owner": "acme", "repo": "app", "path": "README.md"},
)
async def get_file(ctx: ActionContext[GitHubCredentials], params: GetFile) -> Item:
    found = await ctx.client.json(
        "GET",
        f"/repos/{params.owner}/{params.repo}/contents/{params.path.lstrip('/')}",
        query={"ref": params.ref},
    )
    if not isinstance(found, dict) or found.get("type") != "file":
        raise NodeError(f"params.path: {params.path!r} is not a file", retryable=False)
    raw = base64.b64decode(str(found.get("content") or ""))
    try:
        content, encoding = raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        content, encoding = base64.b64encode(raw).decode("ascii"), "base64"
    return {
        "path": found.get("path"),
        "sha": found.get("sha"),
        "size": found.get("size"),
        "content": content,
        "encoding": encoding,
        "html_url": found.get("html_url"),
    }


class PrComment(RepoRef):
    number: int = Field(ge=1, description="Pull request number")
    body: str = Field(min_length=1, description="Comment text (Markdown)")
    path: str | None = Field(
        default=None,
        description="File to comment on (a review comment); none = a comment on the conversation",
    )
    line: int | None = Field(default=None, ge=1, description="Line of the file (with path)")
    commit_id: str | None = Field(default=None, description="Commit the line is in (with path)")
    side: Literal["LEFT", "RIGHT"] = Field(default="RIGHT", description="Side of the diff")


@GITHUB.action(
    "create_pr_comment",
    params=PrComment,
    description="Comment on a pull request: its conversation, or a line of a file",
    example={"owner": "acme", "repo": "app", "number": 2, "body": "Looks good"},
)
async def create_pr_comment(ctx: ActionContext[GitHubCredentials], params: PrComment) -> Item:
    repo = f"/repos/{params.owner}/{params.repo}"
    if params.path is None:
        made = await ctx.client.json(
            "POST", f"{repo}/issues/{params.number}/comments", json={"body": params.body}
        )
        return _comment_out(made)
    if params.line is None or params.commit_id is None:
        raise NodeError(
            "params.line and params.commit_id are required with params.path", retryable=False
        )
    made = await ctx.client.json(
        "POST",
        f"{repo}/pulls/{params.number}/comments",
        json={
            "body": params.body,
            "commit_id": params.commit_id,
            "path": params.path,
            "line": params.line,
            "side": params.side,
        },
    )
    return _comment_out(made)


class DispatchWorkflow(RepoRef):
    workflow: str = Field(min_length=1, description="Workflow file name (ci.yml) or id")
    ref: str = Field(min_length=1, description="Branch or tag to run on")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Workflow inputs")


@GITHUB.action(
    "dispatch_workflow",
    params=DispatchWorkflow,
    description="Start a GitHub Actions workflow (workflow_dispatch)",
    example={"owner": "acme", "repo": "app", "workflow": "ci.yml", "ref": "main"},
)
async def dispatch_workflow(
    ctx: ActionContext[GitHubCredentials], params: DispatchWorkflow
) -> Item:
    await ctx.client.request(
        "POST",
        f"/repos/{params.owner}/{params.repo}/actions/workflows/{params.workflow}/dispatches",
        json={"ref": params.ref, "inputs": params.inputs},
    )
    return {"dispatched": True, "workflow": params.workflow, "ref": params.ref}

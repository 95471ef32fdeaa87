"""A local GitHub REST API (2022-11-28) for tests: the endpoints the GitHub integration uses,
with Bearer token auth, GitHub's headers, its validation errors (422 ``Validation Failed``
with ``errors`` naming resource, field and code), Link-header pagination, rate limits (403
with ``x-ratelimit-remaining: 0`` or 429 with ``Retry-After``) on demand."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import re
from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request

TOKEN = "ghp_test0123456789abcdef"
LOGIN = "acme-bot"
DOCS = "https://docs.github.com/rest"
NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def invalid(resource: str, field: str, code: str, message: str | None = None) -> Answer:
    error: dict[str, Any] = {"resource": resource, "field": field, "code": code}
    if message:
        error["message"] = message
    return Answer(
        422, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}
    )


class FakeGitHub(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.repos: dict[str, dict[str, Any]] = {}
        self.issues: dict[str, list[dict[str, Any]]] = {}
        self.comments: list[dict[str, Any]] = []
        self.dispatches: list[dict[str, Any]] = []
        self.files: dict[tuple[str, str], bytes] = {}
        self._ids = itertools.count(1000)
        self.route("GET", "/user", lambda r: Answer(200, {"login": LOGIN, "id": 1}))
        self.route("POST", "/user/repos", self._create_repo)
        self.route("POST", r"/orgs/(?P<org>[^/]+)/repos", self._create_repo)
        repo = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
        self.route("POST", f"{repo}/issues", self._create_issue)
        self.route("GET", f"{repo}/issues", self._list_issues)
        self.route("PATCH", f"{repo}/issues/(?P<number>[0-9]+)", self._update_issue)
        self.route("POST", f"{repo}/issues/(?P<number>[0-9]+)/comments", self._comment)
        self.route("POST", f"{repo}/pulls/(?P<number>[0-9]+)/comments", self._review_comment)
        self.route("GET", f"{repo}/contents/(?P<path>.+)", self._contents)
        self.route(
            "POST", f"{repo}/actions/workflows/(?P<workflow>[^/]+)/dispatches", self._dispatch
        )

    # -- helpers for tests ---------------------------------------------------------------

    def add_repo(self, owner: str, name: str) -> None:
        self.repos[f"{owner}/{name}"] = {"name": name, "full_name": f"{owner}/{name}"}
        self.issues.setdefault(f"{owner}/{name}", [])

    def add_issue(
        self,
        owner: str,
        repo: str,
        title: str,
        updated: dt.datetime | None = None,
        pull_request: bool = False,
    ) -> dict[str, Any]:
        issues = self.issues.setdefault(f"{owner}/{repo}", [])
        moment = _stamp(updated or dt.datetime.now(dt.UTC))
        issue: dict[str, Any] = {
            "id": next(self._ids),
            "number": len(issues) + 1,
            "title": title,
            "body": None,
            "state": "open",
            "labels": [],
            "user": {"login": LOGIN},
            "html_url": f"https://github.example/{owner}/{repo}/issues/{len(issues) + 1}",
            "created_at": moment,
            "updated_at": moment,
            "comments": 0,
        }
        if pull_request:
            issue["pull_request"] = {"url": "…"}
        issues.append(issue)
        return issue

    # -- the API ----------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Answer | None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Answer(401, {"message": "Bad credentials", "documentation_url": DOCS})
        if request.headers.get("accept") != "application/vnd.github+json":
            return Answer(415, {"message": "Unsupported Accept header", "documentation_url": DOCS})
        if request.headers.get("x-github-api-version") != "2022-11-28":
            return Answer(400, {"message": "Unsupported API version", "documentation_url": DOCS})
        return None

    def _repo_of(self, owner: str, repo: str) -> list[dict[str, Any]] | None:
        return self.issues.get(f"{owner}/{repo}") if f"{owner}/{repo}" in self.repos else None

    def _create_repo(self, request: Request, org: str | None = None) -> Answer:
        body = request.json() or {}
        name = body.get("name")
        if not isinstance(name, str) or not name:
            return invalid("Repository", "name", "missing_field")
        if not NAME.match(name):
            return invalid("Repository", "name", "invalid", "name is invalid")
        owner = org or LOGIN
        if f"{owner}/{name}" in self.repos:
            return Answer(
                422,
                {
                    "message": "Repository creation failed.",
                    "errors": [
                        {
                            "resource": "Repository",
                            "code": "custom",
                            "field": "name",
                            "message": "name already exists on this account",
                        }
                    ],
                    "documentation_url": DOCS,
                },
            )
        unknown = set(body) - {"name", "description", "private", "auto_init", "homepage"}
        if unknown:
            return invalid("Repository", sorted(unknown)[0], "invalid")
        self.add_repo(owner, name)
        repo = {
            "id": next(self._ids),
            "name": name,
            "full_name": f"{owner}/{name}",
            "private": bool(body.get("private", False)),
            "description": body.get("description"),
            "html_url": f"https://github.example/{owner}/{name}",
            "clone_url": f"https://github.example/{owner}/{name}.git",
            "default_branch": "main",
        }
        self.repos[f"{owner}/{name}"] = repo
        return Answer(201, repo)

    def _create_issue(self, request: Request, owner: str, repo: str) -> Answer:
        if self._repo_of(owner, repo) is None:
            return Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        body = request.json() or {}
        if not body.get("title"):
            return invalid("Issue", "title", "missing_field")
        issue = self.add_issue(owner, repo, body["title"])
        issue["body"] = body.get("body")
        issue["labels"] = [{"name": n} for n in body.get("labels") or []]
        return Answer(201, issue)

    def _list_issues(self, request: Request, owner: str, repo: str) -> Answer:
        issues = self._repo_of(owner, repo)
        if issues is None:
            return Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        state = request.query.get("state", "open")
        found = [i for i in issues if state == "all" or i["state"] == state]
        if "since" in request.query:
            since = dt.datetime.fromisoformat(request.query["since"].replace("Z", "+00:00"))
            found = [
                i
                for i in found
                if dt.datetime.fromisoformat(i["updated_at"].replace("Z", "+00:00"))
                >= since.replace(microsecond=0)
            ]
        if request.query.get("sort") == "updated":
            found.sort(
                key=lambda i: i["updated_at"], reverse=request.query.get("direction") != "asc"
            )
        per_page = int(request.query.get("per_page", 30))
        if per_page > 100:
            per_page = 100
        page = int(request.query.get("page", 1))
        chunk = found[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(found):
            query = "&".join(f"{k}={v}" for k, v in {**request.query, "page": page + 1}.items())
            headers["link"] = f'<{self.url}{request.path}?{query}>; rel="next"'
        return Answer(200, chunk, headers)

    def _issue(self, owner: str, repo: str, number: str) -> dict[str, Any] | None:
        issues = self._repo_of(owner, repo) or []
        return next((i for i in issues if i["number"] == int(number)), None)

    def _update_issue(self, request: Request, owner: str, repo: str, number: str) -> Answer:
        issue = self._issue(owner, repo, number)
        if issue is None:
            return Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        body = request.json() or {}
        if "state" in body and body["state"] not in ("open", "closed"):
            return invalid("Issue", "state", "invalid")
        if body.get("state_reason") not in (None, "completed", "not_planned", "reopened"):
            return invalid("Issue", "state_reason", "invalid")
        for key in ("title", "body", "state", "state_reason", "assignees"):
            if key in body:
                issue[key] = body[key]
        if "labels" in body:
            issue["labels"] = [{"name": n} for n in body["labels"]]
        issue["updated_at"] = _stamp(dt.datetime.now(dt.UTC))
        return Answer(200, issue)

    def _comment(self, request: Request, owner: str, repo: str, number: str) -> Answer:
        if self._issue(owner, repo, number) is None:
            return Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        body = (request.json() or {}).get("body")
        if not body:
            return invalid("IssueComment", "body", "missing_field")
        made = {
            "id": next(self._ids),
            "body": body,
            "html_url": "https://github.example/c",
            "created_at": _stamp(dt.datetime.now(dt.UTC)),
        }
        self.comments.append(made)
        return Answer(201, made)

    def _review_comment(self, request: Request, owner: str, repo: str, number: str) -> Answer:
        body = request.json() or {}
        for name in ("body", "commit_id", "path", "line"):
            if not body.get(name):
                return invalid("PullRequestReviewComment", name, "missing_field")
        made = {"id": next(self._ids), **body, "html_url": "https://github.example/rc"}
        self.comments.append(made)
        return Answer(201, made)

    def _contents(self, request: Request, owner: str, repo: str, path: str) -> Answer:
        data = self.files.get((f"{owner}/{repo}", path))
        if data is None:
            return Answer(404, {"message": "Not Found", "documentation_url": DOCS})
        return Answer(
            200,
            {
                "type": "file",
                "path": path,
                "sha": "abc123",
                "size": len(data),
                "encoding": "base64",
                "content": base64.encodebytes(data).decode(),
                "html_url": f"https://github.example/{path}",
            },
        )

    def _dispatch(self, request: Request, owner: str, repo: str, workflow: str) -> Answer:
        body = request.json() or {}
        if not body.get("ref"):
            return invalid("WorkflowDispatch", "ref", "missing_field")
        self.dispatches.append({"workflow": workflow, **body})
        return Answer(204)

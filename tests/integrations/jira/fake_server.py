"""A local Jira Cloud (REST API v3) for tests: the endpoints the Jira integration uses, with
Basic auth (e-mail + API token), Jira's validation and error bodies (``errorMessages`` /
``errors`` by field), ADF descriptions, workflow transitions, JQL search with
``nextPageToken`` pages (a small JQL subset: ``project = KEY``, ``updated >= "-Nm"``,
``ORDER BY updated ASC``) and 429 answers with ``Retry-After`` on demand."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

from tests.integrations.fakes import Answer, FakeServer, Request

EMAIL = "bot@acme.example"
TOKEN = "jira-test-token-0123456789"
ISSUE_TYPES = {"Task", "Bug", "Story"}
STANDARD_FIELDS = {
    "project",
    "summary",
    "description",
    "issuetype",
    "labels",
    "priority",
    "assignee",
}
CUSTOM_FIELDS = {"customfield_10010", "customfield_10011"}
TRANSITIONS = [
    {"id": "11", "name": "To Do", "to": {"name": "To Do"}},
    {"id": "21", "name": "In Progress", "to": {"name": "In Progress"}},
    {"id": "31", "name": "Done", "to": {"name": "Done"}},
]


def _errors(messages: list[str] | None = None, **errors: str) -> dict[str, Any]:
    return {"errorMessages": messages or [], "errors": errors}


def _is_adf(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1


def _stamp(moment: dt.datetime) -> str:
    """Jira's timestamps: ``2026-12-07T10:00:00.000+0000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class FakeJira(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.projects = {"BUG": "10000", "OPS": "10001"}
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        self._next = 1
        self.route("GET", "/rest/api/3/myself", self._myself)
        self.route("POST", "/rest/api/3/issue", self._create)
        self.route("PUT", r"/rest/api/3/issue/(?P<key>[^/]+)", self._update)
        self.route("GET", r"/rest/api/3/issue/(?P<key>[^/]+)/transitions", self._transitions)
        self.route("POST", r"/rest/api/3/issue/(?P<key>[^/]+)/transitions", self._transition)
        self.route("POST", r"/rest/api/3/issue/(?P<key>[^/]+)/comment", self._comment)
        self.route("POST", "/rest/api/3/search/jql", self._search)

    # -- helpers for tests ---------------------------------------------------------------

    def add_issue(self, project: str, summary: str, updated: dt.datetime | None = None) -> str:
        key = f"{project}-{self._next}"
        self._next += 1
        moment = updated or dt.datetime.now(dt.UTC)
        self.issues[key] = {
            "id": str(10000 + self._next),
            "key": key,
            "fields": {
                "project": {"key": project},
                "summary": summary,
                "issuetype": {"name": "Task"},
                "status": {"name": "To Do"},
                "updated": _stamp(moment),
            },
        }
        return key

    def touch(self, key: str, moment: dt.datetime | None = None) -> None:
        self.issues[key]["fields"]["updated"] = _stamp(moment or dt.datetime.now(dt.UTC))

    # -- the API ----------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Answer | None:
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return Answer(
                401,
                _errors(
                    [
                        "You are not authenticated. "
                        "Authentication required to perform this operation."
                    ]
                ),
            )
        if request.method in ("POST", "PUT") and "application/json" not in request.headers.get(
            "content-type", ""
        ):
            return Answer(415, _errors(["Unsupported media type"]))
        return None

    def not_found(self, request: Request) -> Answer:
        return Answer(
            404, _errors(["Issue does not exist or you do not have permission to see it."])
        )

    def _myself(self, request: Request) -> Answer:
        return Answer(
            200,
            {
                "accountId": "5b10a2844c20165700ede21g",
                "displayName": "Acme Bot",
                "emailAddress": EMAIL,
            },
        )

    def _check_fields(self, fields: dict[str, Any], creating: bool) -> dict[str, str]:
        errors: dict[str, str] = {}
        for name in fields:
            if name not in STANDARD_FIELDS and name not in CUSTOM_FIELDS:
                errors[name] = (
                    f"Field '{name}' cannot be set. "
                    "It is not on the appropriate screen, or unknown."
                )
        if creating:
            project = (fields.get("project") or {}).get("key")
            if project not in self.projects:
                errors["project"] = "valid project is required"
            if not fields.get("summary"):
                errors["summary"] = "You must specify a summary of the issue."
            if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
                errors["issuetype"] = "valid issue type is required"
        if "description" in fields and not _is_adf(fields["description"]):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            )
        return errors

    def _create(self, request: Request) -> Answer:
        body = request.json() or {}
        fields = body.get("fields") or {}
        errors = self._check_fields(fields, creating=True)
        if errors:
            return Answer(400, _errors(**errors))
        key = self.add_issue(fields["project"]["key"], fields["summary"])
        self.issues[key]["fields"].update(
            {k: v for k, v in fields.items() if k not in ("project", "summary")}
        )
        issue = self.issues[key]
        return Answer(
            201,
            {"id": issue["id"], "key": key, "self": f"{self.url}/rest/api/3/issue/{issue['id']}"},
        )

    def _update(self, request: Request, key: str) -> Answer:
        if key not in self.issues:
            return self.not_found(request)
        fields = (request.json() or {}).get("fields") or {}
        errors = self._check_fields(fields, creating=False)
        if errors:
            return Answer(400, _errors(**errors))
        self.issues[key]["fields"].update(fields)
        self.touch(key)
        return Answer(204)

    def _transitions(self, request: Request, key: str) -> Answer:
        if key not in self.issues:
            return self.not_found(request)
        return Answer(200, {"expand": "transitions", "transitions": TRANSITIONS})

    def _transition(self, request: Request, key: str) -> Answer:
        if key not in self.issues:
            return self.not_found(request)
        wanted = ((request.json() or {}).get("transition") or {}).get("id")
        found = next((t for t in TRANSITIONS if t["id"] == wanted), None)
        if found is None:
            return Answer(400, _errors([f"Transition id '{wanted}' is not valid for this issue."]))
        self.issues[key]["fields"]["status"] = found["to"]
        self.touch(key)
        return Answer(204)

    def _comment(self, request: Request, key: str) -> Answer:
        if key not in self.issues:
            return self.not_found(request)
        body = (request.json() or {}).get("body")
        if not _is_adf(body):
            return Answer(400, _errors(["Comment body must be an Atlassian Document."]))
        made = {
            "id": str(len(self.comments.get(key, [])) + 1),
            "body": body,
            "created": _stamp(dt.datetime.now(dt.UTC)),
        }
        self.comments.setdefault(key, []).append(made)
        return Answer(201, made)

    def _search(self, request: Request) -> Answer:
        body = request.json() or {}
        jql = str(body.get("jql") or "")
        size = int(body.get("maxResults") or 50)
        if size > 100:
            return Answer(400, _errors(["maxResults: must be at most 100"]))
        matches = list(self.issues.values())
        project = re.search(r"project\s*=\s*([A-Z]+)", jql)
        if project is None:
            return Answer(400, _errors(["Error in the JQL Query: a project is required here."]))
        matches = [i for i in matches if i["fields"]["project"]["key"] == project.group(1)]
        since = re.search(r'updated\s*>=\s*"-(\d+)m"', jql)
        if since:
            limit = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=int(since.group(1)))
            matches = [i for i in matches if i["fields"]["updated"] >= _stamp(limit)]
        if re.search(r"ORDER BY updated ASC", jql, re.IGNORECASE):
            matches.sort(key=lambda i: i["fields"]["updated"])
        start = int(body.get("nextPageToken") or 0)
        page = matches[start : start + size]
        wanted = set(body.get("fields") or [])
        issues = [
            {
                **i,
                "fields": {
                    k: v
                    for k, v in i["fields"].items()
                    if not wanted or k in wanted or "*all" in wanted
                },
            }
            for i in page
        ]
        out: dict[str, Any] = {"issues": issues, "isLast": start + size >= len(matches)}
        if start + size < len(matches):
            out["nextPageToken"] = str(start + size)
        return Answer(200, out)

"""The GitHub integration's actions against a local GitHub (fake_server.py): headers and
bodies sent, GitHub's validation errors named, Link pagination, rate limits retried."""

from __future__ import annotations

from typing import Any

from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer
from tests.integrations.github.fake_server import TOKEN, FakeGitHub
from wirework.sdk.registry import registry


def gh_creds(server: FakeGitHub, **over: Any) -> Any:
    values = {"token": TOKEN, "base_url": server.url, "webhook_secret": "s3cret", **over}
    return credentials(values, {"token", "webhook_secret"}, name="GitHub acme")


async def test_create_repo_for_the_user_and_in_an_org(github_server: FakeGitHub) -> None:
    creds = gh_creds(github_server)
    mine = await run_node("github.create_repo", {"name": "bug-1", "description": "d"}, creds)
    assert output(mine)[0]["full_name"] == "acme-bot/bug-1"
    assert output(mine)[0]["private"] is True
    [sent] = github_server.seen("POST", "/user/repos")
    assert sent.json() == {"name": "bug-1", "description": "d", "private": True, "auto_init": False}
    org = await run_node("github.create_repo", {"name": "tools", "org": "acme"}, creds)
    assert output(org)[0]["full_name"] == "acme/tools"
    assert github_server.seen("POST", "/orgs/acme/repos")


async def test_github_validation_errors_are_named(github_server: FakeGitHub) -> None:
    creds = gh_creds(github_server)
    github_server.add_repo("acme-bot", "taken")
    run = await run_node("github.create_repo", {"name": "taken"}, creds)
    assert failure(run) == (
        "GitHub answered HTTP 422 to POST /user/repos: Repository creation failed.: "
        "name already exists on this account"
    )
    assert run.record.error is not None


async def test_bad_token_is_githubs_401_without_the_token(github_server: FakeGitHub) -> None:
    run = await run_node(
        "github.create_repo", {"name": "x"}, gh_creds(github_server, token="ghp_wrong_one")
    )
    assert "HTTP 401" in failure(run) and "Bad credentials" in failure(run)
    assert "ghp_wrong_one" not in str(run.record.error)


async def test_issue_lifecycle(github_server: FakeGitHub) -> None:
    github_server.add_repo("acme", "app")
    creds = gh_creds(github_server)
    repo = {"owner": "acme", "repo": "app"}
    made = output(
        await run_node("github.create_issue", {**repo, "title": "Crash", "labels": ["bug"]}, creds)
    )[0]
    assert made["number"] == 1 and made["labels"] == ["bug"]
    updated = output(
        await run_node("github.update_issue", {**repo, "number": 1, "title": "Crash!"}, creds)
    )[0]
    assert updated["title"] == "Crash!"
    comment = output(
        await run_node("github.comment_issue", {**repo, "number": 1, "body": "On it"}, creds)
    )[0]
    assert comment["body"] == "On it"
    closed = output(
        await run_node(
            "github.close_issue",
            {**repo, "number": 1, "reason": "not_planned", "comment": "Won't fix"},
            creds,
        )
    )[0]
    assert closed["state"] == "closed"
    [patch] = github_server.seen("PATCH", "/repos/acme/app/issues/1")[-1:]
    assert patch.json() == {"state": "closed", "state_reason": "not_planned"}
    missing = await run_node("github.create_issue", {**repo, "title": "{{ '' }}"}, creds)
    assert "params.title" in failure(missing)


async def test_list_issues_follows_link_pages(github_server: FakeGitHub) -> None:
    github_server.add_repo("acme", "app")
    for n in range(230):
        github_server.add_issue("acme", "app", f"issue {n}")
    github_server.add_issue("acme", "app", "a pull request", pull_request=True)
    run = await run_node(
        "github.list_issues", {"owner": "acme", "repo": "app"}, gh_creds(github_server)
    )
    items = output(run)
    assert len(items) == 230 and "a pull request" not in {i["title"] for i in items}
    pages = github_server.seen("GET", "/repos/acme/app/issues")
    assert [p.query.get("page", "1") for p in pages] == ["1", "2", "3"]


async def test_rate_limits_are_retried(github_server: FakeGitHub) -> None:
    github_server.add_repo("acme", "app")
    github_server.inject(
        Answer(
            403,
            {"message": "API rate limit exceeded"},
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"},
        ),
        Answer(429, {"message": "secondary rate limit"}, {"Retry-After": "1"}),
    )
    run = await run_node(
        "github.list_issues", {"owner": "acme", "repo": "app"}, gh_creds(github_server)
    )
    assert output(run) == []
    assert len(github_server.seen("GET", "/repos/acme/app/issues")) == 3


async def test_get_file_pr_comment_and_dispatch(github_server: FakeGitHub) -> None:
    github_server.add_repo("acme", "app")
    github_server.files[("acme/app", "docs/a.md")] = b"# Hello\n"
    creds = gh_creds(github_server)
    repo = {"owner": "acme", "repo": "app"}
    got = output(await run_node("github.get_file", {**repo, "path": "docs/a.md"}, creds))[0]
    assert got["content"] == "# Hello\n" and got["encoding"] == "utf-8"
    line = await run_node(
        "github.create_pr_comment",
        {**repo, "number": 2, "body": "nit", "path": "a.py", "line": 3, "commit_id": "abc"},
        creds,
    )
    assert output(line)[0]["path"] == "a.py"
    half = await run_node(
        "github.create_pr_comment", {**repo, "number": 2, "body": "nit", "path": "a.py"}, creds
    )
    assert "params.line and params.commit_id are required" in failure(half)
    ran = await run_node(
        "github.dispatch_workflow",
        {**repo, "workflow": "ci.yml", "ref": "main", "inputs": {"level": "full"}},
        creds,
    )
    assert output(ran)[0]["dispatched"] is True
    assert github_server.dispatches == [
        {"workflow": "ci.yml", "ref": "main", "inputs": {"level": "full"}}
    ]


async def test_connection_test(github_server: FakeGitHub) -> None:
    tester = registry.tester("github")
    assert tester is not None
    assert await tester(gh_creds(github_server)) == (
        True,
        f"connected to {github_server.url} as acme-bot",
    )
    ok, message = await tester(gh_creds(github_server, token="nope"))
    assert not ok and "Bad credentials" in message

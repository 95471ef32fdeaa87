"""The Jira integration against a local Jira (tests/integrations/jira/fake_server.py): the
requests it sends (auth, ADF, fields), Jira's errors named, pagination, 429 retries."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integrations.conftest import credentials, failure, output, run_node
from tests.integrations.fakes import Answer
from tests.integrations.jira.fake_server import EMAIL, TOKEN, FakeJira
from wirework.sdk.registry import registry


def jira_creds(server: FakeJira, **over: Any) -> Any:
    values = {"base_url": server.url, "email": EMAIL, "api_token": TOKEN, **over}
    return credentials(values, {"api_token"}, name="Jira acme")


async def test_create_issue_sends_adf_and_custom_fields(jira_server: FakeJira) -> None:
    run = await run_node(
        "jira.create_issue",
        {
            "project": "BUG",
            "summary": "{{ json.title }}",
            "description": "Line one\nLine two",
            "issue_type": "Bug",
            "labels": ["web"],
            "fields": {"customfield_10010": "sprint-1"},
        },
        jira_creds(jira_server),
        items=[{"title": "Crash on save"}],
    )
    [item] = output(run)
    assert item["key"] == "BUG-1" and item["url"] == f"{jira_server.url}/browse/BUG-1"
    [sent] = jira_server.seen("POST", "/rest/api/3/issue")
    fields = sent.json()["fields"]
    assert fields["project"] == {"key": "BUG"} and fields["issuetype"] == {"name": "Bug"}
    assert fields["summary"] == "Crash on save" and fields["customfield_10010"] == "sprint-1"
    assert fields["description"]["type"] == "doc"
    assert [p["content"][0]["text"] for p in fields["description"]["content"]] == [
        "Line one",
        "Line two",
    ]


async def test_jira_field_errors_are_named(jira_server: FakeJira) -> None:
    run = await run_node(
        "jira.create_issue",
        {"project": "NOPE", "summary": "x", "fields": {"customfield_99": 1}},
        jira_creds(jira_server),
    )
    message = failure(run)
    assert message.startswith("Jira answered HTTP 400 to POST /rest/api/3/issue:")
    assert "project: valid project is required" in message
    assert "customfield_99: Field 'customfield_99' cannot be set" in message
    assert run.record.error is not None


async def test_wrong_token_is_jiras_401_and_the_token_is_never_shown(jira_server: FakeJira) -> None:
    run = await run_node(
        "jira.create_issue",
        {"project": "BUG", "summary": "x"},
        jira_creds(jira_server, api_token="wrong-token-value"),
    )
    message = failure(run)
    assert "HTTP 401" in message and "not authenticated" in message
    assert "wrong-token-value" not in str(run.record.error)


async def test_429_is_retried_after_retry_after(jira_server: FakeJira) -> None:
    jira_server.inject(
        Answer(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, {"Retry-After": "1"})
    )
    run = await run_node(
        "jira.create_issue", {"project": "BUG", "summary": "retried"}, jira_creds(jira_server)
    )
    assert output(run)[0]["key"] == "BUG-1"
    assert len(jira_server.seen("POST", "/rest/api/3/issue")) == 2


async def test_a_500_on_a_post_is_not_retried(jira_server: FakeJira) -> None:
    jira_server.inject(Answer(500, {"errorMessages": ["Internal server error"], "errors": {}}))
    run = await run_node(
        "jira.create_issue", {"project": "BUG", "summary": "once"}, jira_creds(jira_server)
    )
    assert "HTTP 500" in failure(run) and "Internal server error" in failure(run)
    assert len(jira_server.seen("POST", "/rest/api/3/issue")) == 1  # creating twice is unsafe


async def test_update_transition_and_comment(jira_server: FakeJira) -> None:
    key = jira_server.add_issue("BUG", "old")
    creds = jira_creds(jira_server)
    updated = await run_node("jira.update_issue", {"issue": key, "summary": "new"}, creds)
    assert output(updated) == [{"key": key, "updated": ["summary"]}]
    assert jira_server.issues[key]["fields"]["summary"] == "new"
    moved = await run_node("jira.transition_issue", {"issue": key, "transition": "done"}, creds)
    assert output(moved)[0]["status"] == "Done"
    assert jira_server.issues[key]["fields"]["status"] == {"name": "Done"}
    commented = await run_node("jira.add_comment", {"issue": key, "body": "Fixed"}, creds)
    assert output(commented)[0]["issue"] == key
    assert jira_server.comments[key][0]["body"]["content"][0]["content"][0]["text"] == "Fixed"


async def test_unknown_transition_lists_the_available_ones(jira_server: FakeJira) -> None:
    key = jira_server.add_issue("BUG", "x")
    run = await run_node(
        "jira.transition_issue", {"issue": key, "transition": "Shipped"}, jira_creds(jira_server)
    )
    assert "no transition 'Shipped' (available: To Do, In Progress, Done)" in failure(run)


async def test_missing_issue_is_jiras_404(jira_server: FakeJira) -> None:
    run = await run_node(
        "jira.add_comment", {"issue": "BUG-999", "body": "x"}, jira_creds(jira_server)
    )
    assert "HTTP 404" in failure(run) and "Issue does not exist" in failure(run)


async def test_search_follows_next_page_token(jira_server: FakeJira) -> None:
    for n in range(7):
        jira_server.add_issue("BUG", f"issue {n}")
    jira_server.add_issue("OPS", "other project")
    run = await run_node(
        "jira.search_issues", {"jql": "project = BUG", "page_size": 3}, jira_creds(jira_server)
    )
    items = output(run)
    assert [i["fields"]["summary"] for i in items] == [f"issue {n}" for n in range(7)]
    pages = jira_server.seen("POST", "/rest/api/3/search/jql")
    assert [p.json().get("nextPageToken") for p in pages] == [None, "3", "6"]
    capped = await run_node(
        "jira.search_issues",
        {"jql": "project = BUG", "page_size": 3, "max_results": 4},
        jira_creds(jira_server),
    )
    assert len(output(capped)) == 4


async def test_bad_params_name_the_field(jira_server: FakeJira) -> None:
    run = await run_node(
        "jira.update_issue", {"issue": "{{ 'not a key' }}", "summary": "x"}, jira_creds(jira_server)
    )
    assert "params.issue" in failure(run)
    assert jira_server.requests == []


async def test_credentials_go_only_to_the_site(jira_server: FakeJira) -> None:
    creds = jira_creds(jira_server)
    creds.allowed_hosts = ["jira.example.com"]
    run = await run_node("jira.create_issue", {"project": "BUG", "summary": "x"}, creds)
    assert "may not send its credentials" in failure(run)
    assert jira_server.requests == []


@pytest.mark.parametrize("good", [True, False])
async def test_connection_test(jira_server: FakeJira, good: bool) -> None:
    tester = registry.tester("jira")
    assert tester is not None
    ok, message = await tester(jira_creds(jira_server, api_token=TOKEN if good else "bad"))
    assert ok is good
    assert ("as Acme Bot" in message) if good else ("HTTP 401" in message)

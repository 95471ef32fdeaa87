"""The AI examples (examples/ai_ticket_triage.yaml, rag_ingest_documents.yaml + rag_chat.yaml,
agent_files_issues.yaml) saved and run through the real app, aimed at local servers: the
OpenAI-compatible model server (word-based embeddings), Jira and GitHub."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integrations.fakes import serving
from tests.integrations.github.fake_server import TOKEN as GITHUB_TOKEN
from tests.integrations.github.fake_server import FakeGitHub
from tests.integrations.jira.fake_server import EMAIL as JIRA_EMAIL
from tests.integrations.jira.fake_server import TOKEN as JIRA_TOKEN
from tests.integrations.jira.fake_server import FakeJira
from tests.integrations.openai.server import Reply
from tests.integrations.workflows import add_integration, example
from tests.nodes.ai.agent_helpers import execute
from tests.nodes.ai.retrieval.embeddings_server import WordsOpenAIServer
from wirework.services.runtime import Runtime
from wirework.testing.harness import allow_loopback

KEY = "sk-examples-secret-31"


@pytest.fixture
def models() -> Iterator[WordsOpenAIServer]:
    with allow_loopback(), WordsOpenAIServer() as server:
        yield server


def aimed(name: str, model_id: int, ids: dict[str, int] | None = None) -> dict[str, Any]:
    """The example with its ai.* nodes (and agent tools) using the given integrations."""
    doc = example(name, ids)
    for node in doc["nodes"]:
        if str(node["type"]).startswith("ai.") and "integration_id" in node.get("params", {}):
            node["params"]["integration_id"] = model_id
        for tool in node.get("params", {}).get("tools", []):
            service = str(tool.get("node_type", "")).split(".")[0]
            if ids and service in ids:
                tool["integration_id"] = ids[service]
    return doc


async def save(client: httpx.AsyncClient, doc: dict[str, Any]) -> int:
    resp = await client.post("/api/workflows", json=doc)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


async def model_integration(client: httpx.AsyncClient, server: WordsOpenAIServer) -> int:
    creds = {"api_key": KEY, "base_url": server.url + "/v1"}
    return await add_integration(client, "openai", creds, name="models")


async def test_ticket_triage_files_bugs_and_drafts_replies(
    client: httpx.AsyncClient, runtime: Runtime, models: WordsOpenAIServer
) -> None:
    with serving(FakeJira()) as jira:
        assert isinstance(jira, FakeJira)
        mid = await model_integration(client, models)
        jid = await add_integration(
            client,
            "jira",
            {"base_url": jira.url, "email": JIRA_EMAIL, "api_token": JIRA_TOKEN},
            name="jira",
        )
        wid = await save(client, aimed("ai_ticket_triage.yaml", mid, {"jira": jid}))

        models.script(Reply(text='{"label": "bug"}'))
        bug = {"subject": "Export crashes", "message": "CSV export fails", "email": "a@x.io"}
        record = await execute(client, wid, {"body": bug})
        assert record["status"] == "success", record["error"]
        (issue,) = jira.issues.values()
        assert issue["fields"]["summary"] == "Export crashes"

        models.script(Reply(text='{"label": "billing"}'), Reply(text="We are on it."))
        bill = {"subject": "Invoice", "message": "I was charged twice", "email": "b@x.io"}
        record = await execute(client, wid, {"body": bill})
        assert record["status"] == "success", record["error"]
        assert record["result"][0]["text"] == "We are on it."
        billing = models.requests[-1].json["messages"]
        assert "billing team" in billing[0]["content"]
        assert billing[-1]["content"] == "Draft a reply to: I was charged twice"
        assert len(jira.issues) == 1  # only the bug was filed
        assert KEY not in models.bodies()


async def test_rag_examples_answer_from_the_uploaded_document(
    client: httpx.AsyncClient, runtime: Runtime, models: WordsOpenAIServer
) -> None:
    mid = await model_integration(client, models)
    ingest = await save(client, aimed("rag_ingest_documents.yaml", mid))
    chat = await save(client, aimed("rag_chat.yaml", mid))
    handbook = (
        b"# Handbook\n\nShipping takes three to five working days.\n\n"
        b"Passwords can be reset from the login page with your email address.\n"
    )
    upload = {"file": {"data": base64.b64encode(handbook).decode(), "filename": "handbook.md"}}
    record = await execute(client, ingest, upload)
    assert record["status"] == "success", record["error"]

    models.script(Reply(text="From the login page [1]."))
    question = {"session_id": "s-1", "message": "How can passwords be reset?"}
    record = await execute(client, chat, question)
    assert record["status"] == "success", record["error"]
    assert record["result"][0]["text"] == "From the login page [1]."
    sent = models.requests[-1].json["messages"]
    assert "Passwords can be reset from the login page" in sent[0]["content"]
    assert sent[-1]["content"] == "How can passwords be reset?"

    # The session remembers the first turn.
    models.script(Reply(text="Three to five working days [1]."))
    record = await execute(client, chat, {"session_id": "s-1", "message": "And shipping?"})
    assert record["status"] == "success", record["error"]
    turns = [m["content"] for m in models.requests[-1].json["messages"][1:]]
    assert turns == [
        "How can passwords be reset?",
        "From the login page [1].",
        "And shipping?",
    ]


async def test_agent_example_files_a_github_issue(
    client: httpx.AsyncClient, runtime: Runtime, models: WordsOpenAIServer
) -> None:
    with serving(FakeGitHub()) as github:
        assert isinstance(github, FakeGitHub)
        github.add_repo("acme", "app")
        mid = await model_integration(client, models)
        gid = await add_integration(
            client, "github", {"token": GITHUB_TOKEN, "base_url": github.url}, name="gh"
        )
        jid = await add_integration(
            client,
            "jira",
            {"base_url": "https://acme.atlassian.net", "email": "b@x.io", "api_token": "t"},
            name="jira",
        )
        wid = await save(
            client, aimed("agent_files_issues.yaml", mid, {"github": gid, "jira": jid})
        )
        models.script(
            Reply(tool_calls=[("github_create_issue", {"title": "Export crashes"})]),
            Reply(text="Filed acme/app#1."),
        )
        record = await execute(client, wid, {"body": {"report": "CSV export crashes"}})
        assert record["status"] == "success", record["error"]
        assert github.issues["acme/app"][0]["title"] == "Export crashes"
        offered = {t["function"]["name"] for t in models.requests[0].json["tools"]}
        assert offered == {"github_create_issue", "jira_create_issue"}
        assert GITHUB_TOKEN not in models.bodies() and KEY not in models.bodies()


async def test_an_agent_searches_the_documents_with_a_retrieval_tool(
    client: httpx.AsyncClient, runtime: Runtime, models: WordsOpenAIServer
) -> None:
    mid = await model_integration(client, models)
    ingest = await save(client, aimed("rag_ingest_documents.yaml", mid))
    handbook = b"Passwords can be reset from the login page.\n\nShipping takes five days.\n"
    upload = {"file": {"data": base64.b64encode(handbook).decode(), "filename": "hb.txt"}}
    assert (await execute(client, ingest, upload))["status"] == "success"

    tool = {
        "kind": "retrieval",
        "name": "search_handbook",
        "options": {
            "store": {"collection": "handbook"},
            "integration_id": mid,
            "model": "text-embedding-3-small",
            "k": 1,
        },
    }
    agent = {
        "id": "agent",
        "type": "ai.agent",
        "params": {
            "integration_id": mid,
            "model": "gpt-test",
            "prompt": "{{ json.q }}",
            "tools": [tool],
        },
    }
    wid = await save(
        client,
        {
            "name": "handbook agent",
            "nodes": [{"id": "in", "type": "core.manual"}, agent],
            "connections": [{"from": "in", "to": "agent"}],
        },
    )
    models.script(
        Reply(tool_calls=[("search_handbook", {"query": "How are passwords reset?"})]),
        Reply(text="From the login page [1]."),
    )
    record = await execute(client, wid, {"q": "How do I reset my password?"})
    assert record["status"] == "success", record["error"]
    chats = [r.json for r in models.requests if "messages" in r.json]
    (offered,) = chats[0]["tools"]
    assert offered["function"]["name"] == "search_handbook"
    assert offered["function"]["parameters"]["required"] == ["query"]
    result = next(m["content"] for m in chats[1]["messages"] if m["role"] == "tool")
    assert "Passwords can be reset from the login page" in result
    assert "[1] (hb.txt" in result and "[2]" not in result  # k = 1

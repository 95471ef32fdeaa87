"""Chat trigger: what a chat message costs end to end in embedded mode (SQLite), its reply
streamed token by token from a local OpenAI-compatible server (``services.chat.converse``:
the execution, the ``step.delta`` events through the bus, the reply read back), against the
same workflow run without streaming; and the time to the first token."""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from tests.integrations.openai.server import OpenAIServer, Reply

from bench.common import machine, report, temp_runtime
from wirework.api.app import create_app
from wirework.sdk.outbound import OutboundPolicy, set_policy
from wirework.services import chat as svc
from wirework.services.engine import ensure_engine

MESSAGES = 30
ANSWER = "Wirework runs your workflows step by step. " * 8  # ~350 characters, ~90 chunks


async def _setup(client: httpx.AsyncClient, url: str, stream: bool) -> int:
    setup = await client.post(
        "/api/setup", json={"email": "b@example.com", "password": "bench password 1", "name": "B"}
    )
    if setup.status_code == 201:
        client.headers["Authorization"] = f"Bearer {setup.json()['access_token']}"
    integration = await client.post(
        "/api/integrations",
        json={"name": f"m{stream}", "type": "openai",
              "credentials": {"base_url": url + "/v1", "api_key": "sk-bench"}},
    )  # fmt: skip
    flow = await client.post(
        "/api/workflows",
        json={
            "name": f"chat {stream}",
            "active": True,
            "nodes": [
                {"id": "in", "type": "ai.chat_trigger", "params": {"access": "public"}},
                {"id": "answer", "type": "ai.chat",
                 "params": {"integration_id": integration.json()["id"], "model": "m",
                            "prompt": "{{ json.message }}", "stream": stream}},
            ],
            "connections": [{"from": "in", "to": "answer"}],
        },
    )  # fmt: skip
    return int(flow.json()["id"])


async def main() -> dict[str, float]:
    set_policy(OutboundPolicy(["127.0.0.1/32"]))
    figures: dict[str, float] = {}
    try:
        with OpenAIServer() as models:
            async with temp_runtime(outbound_allow="127.0.0.1") as runtime:
                transport = httpx.ASGITransport(app=create_app(runtime=runtime))
                async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
                    streamed = await _setup(client, models.url, True)
                    plain = await _setup(client, models.url, False)
                engine = await ensure_engine(runtime)
                async with runtime.sessionmaker() as session:
                    chats = {
                        "streamed": await svc.find_chat(session, streamed),
                        "not streamed": await svc.find_chat(session, plain),
                    }
                for name, chat in chats.items():
                    totals, firsts, deltas = [], [], 0
                    for i in range(MESSAGES + 3):  # 3 warm-up messages
                        models.script(Reply(text=ANSWER))
                        item = svc.trigger_item(f"bench-{i:08d}", "hello", None, None)
                        started = time.perf_counter()
                        first = None
                        count = 0
                        async for event in svc.converse(engine, chat, item):
                            if isinstance(event, svc.Delta):
                                count += 1
                                if first is None:
                                    first = time.perf_counter() - started
                            elif isinstance(event, svc.Failed):
                                raise RuntimeError(event.message)
                        if i >= 3:
                            totals.append(time.perf_counter() - started)
                            if first is not None:
                                firsts.append(first)
                            deltas = count
                    figures[f"{name}_ms"] = statistics.median(totals) * 1000
                    if firsts:
                        figures[f"{name}_first_token_ms"] = statistics.median(firsts) * 1000
                    figures[f"{name}_deltas"] = deltas
    finally:
        set_policy(None)
    rows = [
        ("streamed: message to reply (median)", f"{figures['streamed_ms']:.1f} ms"),
        ("streamed: message to first token", f"{figures['streamed_first_token_ms']:.1f} ms"),
        ("streamed: deltas per reply", f"{figures['streamed_deltas']:.0f}"),
        ("not streamed: message to reply", f"{figures['not streamed_ms']:.1f} ms"),
    ]
    report(f"chat message, embedded mode, SQLite, {MESSAGES} messages — {machine()}", rows)
    return figures


if __name__ == "__main__":
    asyncio.run(main())

"""The baseline for the webhook benchmark: a bare FastAPI endpoint returning the same JSON."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/webhook/bench")
async def bench(request: Request) -> dict[str, Any]:
    body = await request.json()
    return {"title": body.get("title"), "greeting": f"hello {body.get('user')}"}

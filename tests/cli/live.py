"""A real `wirework server` subprocess on 127.0.0.1, its log lines read as they come."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

WIREWORK = Path(sys.executable).parent / "wirework"
STARTUP_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWORK_")}
    env.update(
        WIREWORK_DATA_DIR=str(data_dir),
        WIREWORK_LOG_FORMAT="json",
        WIREWORK_LOG_LEVEL="info",
        NO_COLOR="1",
        **extra,
    )
    return env


@dataclass
class LiveServer:
    proc: asyncio.subprocess.Process
    lines: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _reader: asyncio.Task[None] | None = None
    url: str = ""

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            text = line.decode(errors="replace").rstrip("\n")
            async with self._changed:
                self.raw.append(text)
                with contextlib.suppress(ValueError):
                    self.lines.append(json.loads(text))
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, match: Callable[[dict[str, Any]], bool], limit_s: float = 60
    ) -> dict[str, Any]:
        """The first log line (from the start) that ``match`` accepts."""

        def found() -> dict[str, Any] | None:
            return next((line for line in self.lines if match(line)), None)

        async with asyncio.timeout(limit_s), self._changed:
            while (line := found()) is None:
                if self.proc.returncode is not None or (self._reader and self._reader.done()):
                    raise AssertionError("server exited:\n" + "\n".join(self.raw))
                await self._changed.wait()
            return line

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=60, trust_env=False)


@contextlib.asynccontextmanager
async def live_server(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[LiveServer]:
    proc = await asyncio.create_subprocess_exec(
        str(WIREWORK),
        "server",
        *args,
        env=env or server_env(data_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    server = LiveServer(proc)
    server._reader = asyncio.create_task(server._read())
    try:
        listening = await server.wait_for(
            lambda line: line.get("event") == "listening", STARTUP_TIMEOUT_S
        )
        server.url = listening["address"]
        await server.wait_for(
            lambda line: "Application startup complete" in str(line.get("event")),
            STARTUP_TIMEOUT_S,
        )
        yield server
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await server._reader


@contextlib.asynccontextmanager
async def owner_client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``server`` logged in as a freshly set-up owner."""
    async with server.client() as client:
        resp = await client.post(
            "/api/setup", json={"email": "owner@example.com", "password": "a long password"}
        )
        assert resp.status_code == 201, resp.text
        client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        yield client
